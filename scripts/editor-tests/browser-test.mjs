#!/usr/bin/env node
// Ring 3b: the user's view. Installs the packaged VSIX into code-server, opens a workspace holding a real
// ESP-IDF build (../shared/corpus set 02, ESP32-S3 with development flash encryption; the generated sample
// build when ../shared is missing) with espFlasher.port = a virtual ESP32-S3 with flash encryption on, and
// in headless Chromium: opens the ESP Flasher view, checks rows and checkbox defaults, toggles a checkbox and
// sees it survive a reload, runs "Flash (Encrypted)" from the palette, waits for the status bar to say it
// succeeded, reads the output channel, and reads the activation time from "Show Running Extensions".
// Screenshots go to test-artifacts/editor/. Exits 0 only when every step passed.
// Usage: node scripts/editor-tests/browser-test.mjs [path/to.vsix]  (default: <name>-<version>.vsix from `npm run package`)
// Env: ESP_FLASHER_VSIX, ESP_FLASHER_BROWSER_DEADLINE_S (default 240), ESP_FLASHER_EDITOR_VERBOSE=1.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { closeChromium, launchChromium } from './lib/browser.mjs';
import { expectedSegments } from './lib/build_expectations.mjs';
import { codeServerProfile, installExtension, startCodeServer } from './lib/code_server.mjs';
import { killAllGroups } from './lib/processes.mjs';
import { repoRoot } from './lib/tools.mjs';
import { prepareWorkspace } from './lib/workspace.mjs';
import { Workbench } from './lib/workbench.mjs';

const PORT = 'virtual:esp32s3:encryption=development';
const EXTENSION_ID = 'esp-flasher.esp-flasher';
const artifacts = path.join(repoRoot, 'test-artifacts/editor');
const deadlineSeconds = Number(process.env.ESP_FLASHER_BROWSER_DEADLINE_S ?? 240);
const verbose = process.env.ESP_FLASHER_EDITOR_VERBOSE === '1';
const started = Date.now();
const log = (text) => console.log(`[browser-test] ${text}`);

function findVsix() {
  const explicit = process.argv[2] ?? process.env.ESP_FLASHER_VSIX;
  if (explicit) {
    if (!existsSync(explicit)) throw new Error(`VSIX ${explicit} does not exist`);
    return path.resolve(explicit);
  }
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
  const packaged = path.join(repoRoot, `${pkg.name}-${pkg.version}.vsix`); // what scripts/package.mjs writes
  if (existsSync(packaged)) return packaged;
  const candidates = [repoRoot, path.join(repoRoot, 'dist')]
    .filter((dir) => existsSync(dir))
    .flatMap((dir) => readdirSync(dir).filter((name) => name.endsWith('.vsix')).map((name) => path.join(dir, name)))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (candidates.length === 0) throw new Error(`no ${path.basename(packaged)} (or other .vsix) in ${repoRoot} or dist/: run \`npm run package\` first (or pass the VSIX path)`);
  return candidates[0];
}

const results = [];
let page;
/** What is running or on disk right now; cleanup() stops and deletes whatever of it exists. */
const held = { context: undefined, server: undefined, workspace: undefined };
let cleaning;
/** Stops Chromium and code-server (its whole process group) and deletes the workspace; every call shares one run. */
const cleanup = () =>
  (cleaning ??= (async () => {
    await closeChromium(held.context);
    await held.server?.stop();
    await killAllGroups(); // a code-server still starting, an --install-extension still running
    held.workspace?.remove();
  })());
/** Set when the deadline or a signal stops the run: that path owns the exit code. */
let aborting = false;
/** Runs one named step; on failure saves test-artifacts/editor/failed-<n>.png and rethrows. */
async function step(name, fn) {
  const t0 = Date.now();
  try {
    const value = await fn();
    results.push({ name, ok: true, ms: Date.now() - t0 });
    log(`✔ ${name} (${Date.now() - t0} ms)`);
    return value;
  } catch (error) {
    results.push({ name, ok: false, ms: Date.now() - t0, error: error instanceof Error ? error.message : String(error) });
    log(`✘ ${name}: ${error instanceof Error ? error.message : String(error)}`);
    if (page) {
      const file = path.join(artifacts, `failed-${results.length}.png`);
      await page.screenshot({ path: file }).then(() => log(`  screenshot: ${path.relative(repoRoot, file)}`), () => {});
    }
    throw error;
  }
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function main() {
  rmSync(artifacts, { recursive: true, force: true });
  mkdirSync(artifacts, { recursive: true });
  const vsix = findVsix();
  const vsixBytes = statSync(vsix).size;
  log(`VSIX ${path.relative(repoRoot, vsix)} (${(vsixBytes / 1024).toFixed(0)} KiB)`);
  const workspace = (held.workspace = await prepareWorkspace({ settings: { 'espFlasher.port': PORT } }));
  log(`workspace ${workspace.folder} (${workspace.source})`);
  const segments = expectedSegments(workspace.buildDir);
  const profile = codeServerProfile(path.join(workspace.root, 'code-server'));
  const summary = { vsix: path.relative(repoRoot, vsix), vsixBytes, source: workspace.source };
  try {
    await step('install the VSIX with code-server --install-extension', () => installExtension(profile, vsix));
    const server = (held.server = await step('start code-server', () =>
      startCodeServer(profile, { log: (line) => verbose && console.log(`[code-server] ${line}`) }),
    ));
    const context = (held.context = await launchChromium(path.join(workspace.root, 'chromium')));
    page = context.pages()[0] ?? (await context.newPage());
    if (verbose) page.on('console', (m) => console.log(`[page:${m.type()}] ${m.text()}`));
    const bench = new Workbench(page);
    const url = `${server.url}?folder=${encodeURIComponent(workspace.folder)}`;

    await step('workbench opens the workspace', () => bench.open(url));
    await step('open the ESP Flasher view', async () => {
      await bench.openViewContainer('ESP Flasher');
      await bench.widenSidebar();
    });
    await step('Flash Plan rows and checkbox defaults follow flasher_args.json', async () => {
      for (const segment of segments) {
        const row = await bench.treeRow(segment.name);
        check(row.checked === segment.encrypt, `row "${segment.name}": encrypt checkbox ${row.checked ? 'on' : 'off'}, flasher_args.json says encrypted=${segment.encrypt}`);
      }
    });
    await page.screenshot({ path: path.join(artifacts, '01-tree.png') });

    const toggled = segments.find((s) => !s.encrypt) ?? segments[segments.length - 1];
    await step(`toggle the "${toggled.name}" checkbox`, async () => {
      await bench.clickTreeCheckbox(toggled.name);
      await bench.waitForTreeCheckbox(toggled.name, !toggled.encrypt);
    });
    await step('the checkbox keeps its state across a window reload', async () => {
      await bench.reload();
      await bench.openViewContainer('ESP Flasher');
      // The tree refills only after the extension host restarts and re-reads the plan: allow 30 s.
      await bench.waitForTreeCheckbox(toggled.name, !toggled.encrypt, 30_000);
    });
    await page.screenshot({ path: path.join(artifacts, '02-tree-after-reload.png') });
    await step(`toggle "${toggled.name}" back to the build's default`, async () => {
      await bench.clickTreeCheckbox(toggled.name);
      await bench.waitForTreeCheckbox(toggled.name, toggled.encrypt);
    });

    await bench.recordStatusBar();
    await step('run "ESP Flasher: Flash (Encrypted)" from the palette', () => bench.runCommand('ESP Flasher: Flash (Encrypted)'));
    summary.progressSeen = await step('the status bar shows progress', async () => {
      const seen = await bench.statusBarSeen(/\d+%/, 60_000);
      await page.screenshot({ path: path.join(artifacts, '03-progress.png') });
      return seen;
    });
    const status = await step('the status bar shows success', () => bench.statusBarItem(/ESP: Flash \(Encrypted\) ok/, 120_000));
    summary.status = status;
    await step('the status bar counted up through the plan\'s segments on the way', async () => {
      const history = await bench.statusBarHistory();
      summary.statusHistory = history.filter((text) => /\d+%/.test(text));
      const names = new Set(segments.map((s) => s.name));
      const steps = summary.statusHistory.map((text) => /(\d+)%(?: (\S+))?/.exec(text)).map((m) => ({ percent: Number(m[1]), segment: m[2] }));
      const shown = summary.statusHistory.join(' | ');
      check(new Set(steps.map((s) => s.percent)).size >= 3, `fewer than 3 different percentages in the status bar: ${shown}`);
      check(steps.every((s, i) => i === 0 || s.percent >= steps[i - 1].percent), `the percentage went backwards: ${shown}`);
      check(steps.some((s) => s.percent > 0 && names.has(s.segment)), `no "<n>% <segment>" with a segment of the plan: ${shown}`);
      check(steps.every((s) => s.segment === undefined || names.has(s.segment)), `a segment the plan does not have: ${shown}`);
    });
    const output = await step('the output channel lists every segment written', async () => {
      await bench.showOutputChannel('ESP Flasher');
      const text = await bench.outputText();
      const lines = text.split('\n').map((line) => line.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \[\w+\] /, ''));
      const has = (pattern, what) => check(lines.some((line) => pattern.test(line)), `the output channel has no ${what} line:\n${text}`);
      has(new RegExp(`^Flash \\(Encrypted\\) → ${PORT}: `), `"Flash (Encrypted) → ${PORT}: …"`);
      has(/^Chip is ESP32-S3 .*flash encryption development/, '"Chip is ESP32-S3 …, flash encryption development"');
      for (const segment of segments) {
        const at = `0x${segment.offset.toString(16).padStart(8, '0')}`;
        has(new RegExp(`^Wrote \\d+ bytes (\\(\\d+ compressed\\) )?to ${segment.name} at ${at} in `), `"Wrote … to ${segment.name} at ${at}"`);
        has(new RegExp(`^\\[\\d+/${segments.length}\\] ${segment.name} at ${at}: \\d+ bytes, ${segment.encrypt ? 'device-encrypted' : 'compressed'}`),
          `"[n/${segments.length}] ${segment.name} at ${at}: … ${segment.encrypt ? 'device-encrypted' : 'compressed'}"`);
      }
      has(/^Flash finished in \d+\.\d s/, '"Flash finished in …"');
      return text;
    });
    writeFileSync(path.join(artifacts, 'output.txt'), output);
    await page.screenshot({ path: path.join(artifacts, '04-output.png') });
    summary.activation = await step('activation time from "Developer: Show Running Extensions"', () => bench.activationTime(EXTENSION_ID, 'ESP Flasher'));
    await page.screenshot({ path: path.join(artifacts, '05-running-extensions.png') });
  } finally {
    await cleanup();
    summary.steps = results;
    summary.seconds = (Date.now() - started) / 1000;
    writeFileSync(path.join(artifacts, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  }
  return summary;
}

async function abort(code, why) {
  if (aborting) return;
  aborting = true;
  console.error(`[browser-test] ${why}`);
  await Promise.race([cleanup(), new Promise((resolve) => setTimeout(resolve, 10_000))]);
  process.exit(code);
}
setTimeout(() => void abort(124, `deadline: not done after ${deadlineSeconds} s (ESP_FLASHER_BROWSER_DEADLINE_S); stopped`), deadlineSeconds * 1000);
process.once('SIGTERM', () => void abort(143, 'stopped by SIGTERM'));
process.once('SIGINT', () => void abort(130, 'stopped by SIGINT'));

main().then(
  (summary) => {
    if (aborting) return;
    log(`passed in ${summary.seconds.toFixed(1)} s; activation ${summary.activation ?? '?'}; screenshots in ${path.relative(repoRoot, artifacts)}/`);
    process.exit(0);
  },
  async (error) => {
    if (aborting) return;
    await cleanup();
    console.error(`[browser-test] FAILED: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
