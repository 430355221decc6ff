// code-server (the full product around the VS Code server): install a VSIX, serve the workbench on 127.0.0.1.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, killGroup, spawnGroup, waitForHttp, withTimeout } from './processes.mjs';
import { codeServerEntry, node24, requireTools } from './tools.mjs';

/** Folders of one code-server profile under `root`; the config file keeps it from writing into $HOME. */
export function codeServerProfile(root) {
  const profile = {
    config: path.join(root, 'config.yaml'),
    userDataDir: path.join(root, 'user-data'),
    extensionsDir: path.join(root, 'extensions'),
    /** $TMPDIR for code-server: it leaves IPC sockets there, and `root` is deleted after the run. */
    tmpDir: path.join(root, 'tmp'),
  };
  mkdirSync(profile.tmpDir, { recursive: true });
  mkdirSync(profile.userDataDir, { recursive: true });
  mkdirSync(profile.extensionsDir, { recursive: true });
  writeFileSync(profile.config, 'auth: none\ncert: false\n');
  // A quiet workbench: no welcome page, chat or walkthrough competing for the screenshots.
  mkdirSync(path.join(profile.userDataDir, 'User'), { recursive: true });
  writeFileSync(
    path.join(profile.userDataDir, 'User/settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'workbench.welcomePage.walkthroughs.openOnInstall': false,
        'chat.disableAIFeatures': true,
        'workbench.secondarySideBar.defaultVisibility': 'hidden',
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        'telemetry.telemetryLevel': 'off',
        // The output view reads "[Log]" for its word wrap: off, so each rendered line is one output line.
        '[Log]': { 'editor.wordWrap': 'off' },
        'update.mode': 'none',
        // Terminal text in the DOM (not a canvas), so the test can read a build running in a task.
        'terminal.integrated.gpuAcceleration': 'off',
      },
      null,
      2,
    ),
  );
  return profile;
}

const commonArgs = (profile) => ['--config', profile.config, '--user-data-dir', profile.userDataDir, '--extensions-dir', profile.extensionsDir];

/** `code-server --install-extension <vsix>`; rejects with its output when it fails or takes over `timeoutMs`. */
export async function installExtension(profile, vsix, timeoutMs = 60_000) {
  requireTools(node24, codeServerEntry, vsix);
  const lines = [];
  const run = spawnGroup(node24, [codeServerEntry, ...commonArgs(profile), '--install-extension', vsix], {
    env: { ...process.env, TMPDIR: profile.tmpDir },
    onLine: (_stream, line) => lines.push(line),
  });
  try {
    const { code, signal, error } = await withTimeout(run.exited, timeoutMs, `code-server --install-extension ${vsix} took over ${timeoutMs / 1000} s`);
    const text = lines.join('\n');
    if (code !== 0 || error || !/was successfully installed/i.test(text)) {
      throw new Error(`code-server --install-extension ${vsix} failed (exit ${code ?? signal}${error ? `, ${error.message}` : ''}):\n${text}`);
    }
    return text;
  } finally {
    await killGroup(run.child);
  }
}

/** Starts code-server on a free port; `stop()` kills its whole process group. */
export async function startCodeServer(profile, { log = () => {} } = {}) {
  requireTools(node24, codeServerEntry);
  const port = await freePort();
  const lines = [];
  const server = spawnGroup(
    node24,
    [
      codeServerEntry,
      ...commonArgs(profile),
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
    ],
    {
      env: { ...process.env, TMPDIR: profile.tmpDir },
      onLine: (_stream, line) => {
        lines.push(line);
        if (lines.length > 300) lines.shift();
        log(line);
      },
    },
  );
  const stop = () => killGroup(server.child);
  try {
    await Promise.race([
      waitForHttp(`http://127.0.0.1:${port}/healthz`, 30_000, 'code-server'),
      server.exited.then(({ code, signal }) => {
        throw new Error(`code-server exited at start (code ${code ?? signal}):\n${lines.join('\n')}`);
      }),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, url: `http://127.0.0.1:${port}/`, lines, exited: server.exited, stop };
}
