#!/usr/bin/env node
// A stand-in "VS Code executable" for @vscode/test-electron's runTests({ vscodeExecutablePath }).
//
// Desktop VS Code cannot be downloaded on these machines, so this runs the same extension tests in the
// VS Code server shipped inside code-server (Node 24) and its web workbench in headless Chromium:
//   1. start server-main.js on 127.0.0.1 with --enable-smoke-test-driver (needed for the payload);
//   2. open /?folder=<workspace>&payload=[extensionDevelopmentPath, extensionTestsPath] in Chromium;
//   3. the workbench runs the test index in the remote extension host, and reports through
//      window.codeAutomationLog(type, message) and window.codeAutomationExit(code);
//   4. exit with that code. The server's process group and the browser are always stopped, and an
//      overall deadline (ESP_FLASHER_EDITOR_DEADLINE_S, default 300 s) ends a run that hangs (exit 124).
//
// Arguments (as runTests passes them): [<folder>] --extensionDevelopmentPath=<p> --extensionTestsPath=<p>
//   [--user-data-dir=<d>] [--extensions-dir=<d>]; Electron-only flags (--no-sandbox, ...) are ignored.
// Environment: ESP_FLASHER_EDITOR_VERBOSE=1 prints the server's and the page's console output live.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { format } from 'node:util';
import { closeChromium, launchChromium } from './lib/browser.mjs';
import { freePort, killAllGroups, killGroup, spawnGroup, waitForHttp } from './lib/processes.mjs';
import { node24, requireTools, serverMain } from './lib/tools.mjs';

const PREFIX = '[vscode-test-host]';
const deadlineSeconds = Number(process.env.ESP_FLASHER_EDITOR_DEADLINE_S ?? 300);
const verbose = process.env.ESP_FLASHER_EDITOR_VERBOSE === '1';

// codeAutomationLog carries the workbench's own log lines as well as the extension host's console (the tests'
// output). Without ESP_FLASHER_EDITOR_VERBOSE these workbench lines, which are expected offline, are dropped.
const WORKBENCH_NOISE = [
  /^Resolv(ing|ed) connection token/,
  /^Creating a socket/,
  /^\[reconnection-grace-time\]/,
  /^\[AgentHost/,
  /^\[ChatModelSelection\]/,
  /^\[AccountPolicyGate\]/,
  /^Updating additional builtin extensions cache/,
  /^\[Service Worker\]/,
  /No signed-in session resolved/,
  /ENOTFOUND/,
  /Timed out waiting for authentication provider/,
  /^\[driver\]/,
  /^Canceled\b/,
  /^Started local extension host/,
  /^Extension host \(/,
  /^Loading development extension/,
];
const isWorkbenchNoise = (text) => WORKBENCH_NOISE.some((pattern) => pattern.test(text));

/** Parses runTests' argument list. */
function parseArgs(argv) {
  const options = { folder: undefined, extensionDevelopmentPath: [], extensionTestsPath: undefined, userDataDir: undefined, extensionsDir: undefined };
  const valued = new Map([
    ['--extensionDevelopmentPath', (v) => options.extensionDevelopmentPath.push(path.resolve(v))],
    [
      '--extensionTestsPath',
      (v) => {
        options.extensionTestsPath = path.resolve(v);
      },
    ],
    [
      '--user-data-dir',
      (v) => {
        options.userDataDir = path.resolve(v);
      },
    ],
    [
      '--extensions-dir',
      (v) => {
        options.extensionsDir = path.resolve(v);
      },
    ],
  ]);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const key = eq < 0 ? arg : arg.slice(0, eq);
      const setter = valued.get(key);
      if (!setter) continue; // Electron/desktop-only flag
      const value = eq < 0 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined) throw new Error(`${key} needs a value`);
      setter(value);
    } else if (options.folder === undefined) {
      options.folder = path.resolve(arg);
    }
  }
  if (!options.extensionTestsPath) throw new Error('--extensionTestsPath=<compiled test index> is required');
  if (options.extensionDevelopmentPath.length === 0) throw new Error('--extensionDevelopmentPath=<extension folder> is required');
  return options;
}

/** The workbench URL: the folder to open plus the smoke-test payload that loads and runs the tests. */
function workbenchUrl(port, { folder, extensionDevelopmentPath, extensionTestsPath }) {
  const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
  const payload = [...extensionDevelopmentPath.map((p) => ['extensionDevelopmentPath', remote(p)]), ['extensionTestsPath', remote(extensionTestsPath)]];
  const query = new URLSearchParams();
  if (folder) query.set('folder', folder);
  query.set('payload', JSON.stringify(payload));
  return `http://127.0.0.1:${port}/?${query.toString()}`;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  requireTools(node24, serverMain);

  const scratch = mkdtempSync(path.join(os.tmpdir(), 'esp-flasher-vscode-host-'));
  const userDataDir = options.userDataDir ?? path.join(scratch, 'user-data');
  const extensionsDir = options.extensionsDir ?? path.join(scratch, 'extensions');
  mkdirSync(userDataDir, { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  const serverTmp = path.join(scratch, 'tmp');
  mkdirSync(serverTmp, { recursive: true });
  const serverLog = [];
  let server;
  let context;
  let finished = false;
  let deadlineTimer;

  const cleanup = async () => {
    clearTimeout(deadlineTimer);
    await closeChromium(context);
    context = undefined;
    await killGroup(server?.child);
    await killAllGroups();
    rmSync(scratch, { recursive: true, force: true });
  };
  /** `showServerLog`: the run broke outside the tests (setup, deadline), so the server's last lines may say why. */
  const finish = async (code, why, showServerLog = code !== 0) => {
    if (finished) return;
    finished = true;
    if (why) console.error(`${PREFIX} ${why}`);
    if (showServerLog && !verbose && serverLog.length) {
      console.error(`${PREFIX} last server output:\n  ${serverLog.slice(-30).join('\n  ')}`);
    }
    await cleanup();
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => void finish(130, `stopped by ${signal}`));
  deadlineTimer = setTimeout(
    () => void finish(124, `deadline: no result after ${deadlineSeconds} s (ESP_FLASHER_EDITOR_DEADLINE_S); server and browser stopped`),
    deadlineSeconds * 1000,
  );

  try {
    const port = await freePort();
    const started = Date.now();
    server = spawnGroup(
      node24,
      [
        serverMain,
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--without-connection-token',
        '--accept-server-license-terms',
        '--enable-smoke-test-driver',
        '--disable-telemetry',
        '--disable-workspace-trust',
        '--user-data-dir',
        userDataDir,
        '--server-data-dir',
        path.join(userDataDir, 'server'),
        '--extensions-dir',
        extensionsDir,
      ],
      {
        // The server leaves IPC sockets in $TMPDIR: keep them in the scratch folder that cleanup deletes.
        env: { ...process.env, TMPDIR: serverTmp },
        onLine: (_stream, line) => {
          serverLog.push(line);
          if (serverLog.length > 200) serverLog.shift();
          if (verbose) console.log(`[server] ${line}`);
        },
      },
    );
    server.exited.then(({ code, signal, error }) => {
      if (!finished) void finish(1, `VS Code server exited early (code ${code ?? signal}${error ? `, ${error.message}` : ''})`);
    });
    await waitForHttp(`http://127.0.0.1:${port}/version`, 30_000, 'VS Code server');
    console.log(`${PREFIX} VS Code server ready on 127.0.0.1:${port} in ${Date.now() - started} ms`);

    context = await launchChromium(path.join(scratch, 'chromium-profile'));
    const page = context.pages()[0] ?? (await context.newPage());
    let exitCode;
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      const text = Array.isArray(args) ? format(...args) : String(args);
      if (!verbose && isWorkbenchNoise(text)) return;
      (type === 'error' || type === 'warn' ? console.error : console.log)(text);
    });
    await page.exposeFunction('codeAutomationExit', (code) => {
      exitCode = Number(code);
      void finish(Number.isInteger(exitCode) ? exitCode : 1, exitCode === 0 ? undefined : `extension tests exited with code ${code}`, false);
    });
    page.on('console', (message) => {
      if (verbose) console.log(`[page:${message.type()}] ${message.text()}`);
    });
    page.on('pageerror', (error) => {
      if (verbose) console.error(`[page:error] ${error.message}`);
    });
    page.on('crash', () => void finish(1, 'the workbench page crashed'));
    const url = workbenchUrl(port, options);
    if (verbose) console.log(`${PREFIX} opening ${url}`);
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 30_000 });
  } catch (error) {
    await finish(1, `setup failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

main().catch((error) => {
  console.error(`${PREFIX} ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
