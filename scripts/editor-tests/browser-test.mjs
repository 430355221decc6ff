#!/usr/bin/env node
// Ring 3b: the user's view. Installs the packaged VSIX into code-server, opens a workspace holding a real
// ESP-IDF build (../shared/corpus set 02, ESP32-S3 with development flash encryption; the generated sample
// build when ../shared is missing) with espFlasher.port = a virtual ESP32-S3 with flash encryption on, and
// in headless Chromium: opens the ESP Flasher view, checks rows and checkbox defaults, toggles a checkbox and
// sees it survive a reload, runs "Flash (Encrypted)" from the palette, waits for the status bar to say it
// succeeded, reads the output channel, runs "Flash and Monitor" on a crash demo build and decodes a panic in the
// monitor terminal, and reads the activation time from "Show Running Extensions".
// Screenshots go to test-artifacts/editor/. Exits 0 only when every step passed.
// Usage: node scripts/editor-tests/browser-test.mjs [path/to.vsix]  (default: <name>-<version>.vsix from `npm run package`)
// Env: ESP_FLASHER_VSIX, ESP_FLASHER_BROWSER_DEADLINE_S (default 240), ESP_FLASHER_EDITOR_VERBOSE=1.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { closeChromium, launchChromium } from './lib/browser.mjs';
import { expectedSegments } from './lib/build_expectations.mjs';
import { flashAllInBrowser } from './lib/flash_all_step.mjs';
import { monitorCrashInBrowser, writeCrashDemo } from './lib/monitor_step.mjs';
import { codeServerProfile, installExtension, startCodeServer } from './lib/code_server.mjs';
import { installFakeIdf, putOnTerminalPath } from './lib/fake_build_tool.mjs';
import { killAllGroups } from './lib/processes.mjs';
import { repoRoot } from './lib/tools.mjs';
import { prepareWorkspace, sharedDir } from './lib/workspace.mjs';
import { Workbench } from './lib/workbench.mjs';

// 8 MB like the build: after the first connection the plan check knows the device's flash size.
const PORT = 'virtual:esp32s3:encryption=development:flash=8MB';
const EXTENSION_ID = 'esp-flasher.esp-flasher';
const artifacts = path.join(repoRoot, 'test-artifacts/editor');
const deadlineSeconds = Number(process.env.ESP_FLASHER_BROWSER_DEADLINE_S ?? 360);
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
    .flatMap((dir) =>
      readdirSync(dir)
        .filter((name) => name.endsWith('.vsix'))
        .map((name) => path.join(dir, name)),
    )
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
      await page.screenshot({ path: file }).then(
        () => log(`  screenshot: ${path.relative(repoRoot, file)}`),
        () => {},
      );
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
  // The monitor step's build: an app made from ../shared's real ESP32 ELF (with DWARF), the ELF beside it.
  const crashElf = path.join(sharedDir, 'images/esp32-bootloader.elf');
  const crashDemo = existsSync(crashElf) ? await writeCrashDemo(workspace.folder, crashElf) : undefined;
  const profile = codeServerProfile(path.join(workspace.root, 'code-server'));
  // "Build and Flash" runs idf.py in a terminal task: a fake one first on code-server's PATH (lib/fake_build_tool.mjs).
  const fakeBin = installFakeIdf(path.join(workspace.root, 'fakebin'));
  process.env.PATH = `${fakeBin}${path.delimiter}${process.env.PATH}`;
  putOnTerminalPath(workspace.folder, fakeBin);
  process.env.ESP_FAKE_BUILD_SECONDS = '4';
  const summary = { vsix: path.relative(repoRoot, vsix), vsixBytes, source: workspace.source };
  try {
    await step('install the VSIX with code-server --install-extension', () => installExtension(profile, vsix));
    const server = (held.server = await step('start code-server', () => startCodeServer(profile, { log: (line) => verbose && console.log(`[code-server] ${line}`) })));
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

    summary.flashMap = await step('the Flash Map is drawn to scale (rendered geometry, no overlap, no CSP violation)', async () => {
      const cspViolations = [];
      const onConsole = (m) => /Content Security Policy|style-src/i.test(m.text()) && cspViolations.push(m.text());
      page.on('console', onConsole);
      try {
        await bench.runCommand('ESP Flasher: Show Flash Map');
        const frame = await bench.webviewFrame('#writes .box');
        await page.waitForTimeout(300); // layout after the first paint
        const lanes = await bench.flashMapGeometry(frame);
        await page.screenshot({ path: path.join(artifacts, '03-flash-map.png') });
        checkFlashMapGeometry(lanes, segments, buildFlashSize(workspace.buildDir));
        check(cspViolations.length === 0, `CSP violations while drawing the flash map: ${cspViolations.join(' | ')}`);
        return lanes.map((l) => ({ lane: l.id, width: l.width, boxes: l.boxes.map((b) => `${b.name}@${b.left.toFixed(1)}+${b.width.toFixed(1)}px`) }));
      } finally {
        page.off('console', onConsole);
      }
    });
    await bench.runCommand('View: Close Editor');

    await bench.recordStatusBar();
    await step('run "ESP Flasher: Flash (Encrypted)" from the palette', () => bench.runCommand('ESP Flasher: Flash (Encrypted)'));
    summary.progressSeen = await step('the status bar shows progress', async () => {
      const seen = await bench.statusBarSeen(/\d+%/, 60_000);
      await page.screenshot({ path: path.join(artifacts, '04-progress.png') });
      return seen;
    });
    const status = await step('the status bar shows success', () => bench.statusBarItem(/ESP: Flash \(Encrypted\) ok/, 120_000));
    summary.status = status;
    await step("the status bar counted up through the plan's segments on the way", async () => {
      const history = await bench.statusBarHistory();
      summary.statusHistory = history.filter((text) => /\d+%/.test(text));
      const names = new Set(segments.map((s) => s.name));
      const steps = summary.statusHistory.map((text) => /(\d+)%(?: (\S+))?/.exec(text)).map((m) => ({ percent: Number(m[1]), segment: m[2] }));
      const shown = summary.statusHistory.join(' | ');
      check(new Set(steps.map((s) => s.percent)).size >= 3, `fewer than 3 different percentages in the status bar: ${shown}`);
      check(
        steps.every((s, i) => i === 0 || s.percent >= steps[i - 1].percent),
        `the percentage went backwards: ${shown}`,
      );
      check(
        steps.some((s) => s.percent > 0 && names.has(s.segment)),
        `no "<n>% <segment>" with a segment of the plan: ${shown}`,
      );
      check(
        steps.every((s) => s.segment === undefined || names.has(s.segment)),
        `a segment the plan does not have: ${shown}`,
      );
    });
    const output = await step('the output channel lists every segment written', async () => {
      await bench.showOutputChannel('ESP Flasher');
      const text = await bench.outputText();
      const lines = text.split('\n').map((line) => line.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \[\w+\] /, ''));
      const has = (pattern, what) =>
        check(
          lines.some((line) => pattern.test(line)),
          `the output channel has no ${what} line:\n${text}`,
        );
      has(new RegExp(`^Flash \\(Encrypted\\) → ${PORT}: `), `"Flash (Encrypted) → ${PORT}: …"`);
      has(/^Chip is ESP32-S3 .*flash encryption development/, '"Chip is ESP32-S3 …, flash encryption development"');
      for (const segment of segments) {
        const at = `0x${segment.offset.toString(16).padStart(8, '0')}`;
        has(new RegExp(`^Wrote \\d+ bytes (\\(\\d+ compressed\\) )?to ${segment.name} at ${at} in `), `"Wrote … to ${segment.name} at ${at}"`);
        has(
          new RegExp(`^\\[\\d+/${segments.length}\\] ${segment.name} at ${at}: \\d+ bytes, ${segment.encrypt ? 'device-encrypted' : 'compressed'}`),
          `"[n/${segments.length}] ${segment.name} at ${at}: … ${segment.encrypt ? 'device-encrypted' : 'compressed'}"`,
        );
      }
      has(/^Flash finished in \d+\.\d s/, '"Flash finished in …"');
      return text;
    });
    writeFileSync(path.join(artifacts, 'output.txt'), output);
    await page.screenshot({ path: path.join(artifacts, '05-output.png') });
    summary.resetAndMonitor = await step('the encrypted build left the chip in the loader: a notification offers "Reset and Monitor"', async () => {
      const toast = page.locator('.notifications-toasts .notification-toast', { hasText: /staying in the loader/ }).first();
      await toast.waitFor({ timeout: 10_000 }).catch(() => {
        throw new Error('no "… staying in the loader …" notification after Flash (Encrypted) of a build that asks for no reset');
      });
      const buttons = await toast.locator('.monaco-button').allInnerTexts();
      check(
        buttons.some((b) => /Reset and Monitor/.test(b)),
        `the notification's buttons: ${buttons.join(' | ')}`,
      );
      return (await toast.innerText()).replace(/\s+/g, ' ').trim();
    });

    summary.portPicker = await step('a click on the port in the status bar opens the port picker (current port preselected), never a flash', async () => {
      await bench.recordStatusBar();
      await bench.clickStatusBarItem(/Virtual ESP32-S3, flash encryption on/);
      const pick = await bench.quickPick();
      await page.screenshot({ path: path.join(artifacts, '06-port-picker.png') });
      await page.keyboard.press('Escape');
      check(/Virtual ESP32-S3, flash encryption on/.test(pick.focused), `the focused row is "${pick.focused}", not the current port`);
      check(
        pick.rows.some((r) => /Virtual chip…/.test(r)),
        `no "Virtual chip…" row: ${pick.rows.join(' | ')}`,
      );
      check(pick.rows.filter((r) => /^Virtual ESP32/.test(r.trim())).length <= 1, `virtual chips listed one by one: ${pick.rows.join(' | ')}`);
      await page.waitForTimeout(1000);
      const history = await bench.statusBarHistory();
      check(!history.some((t) => /\d+%/.test(t)), `a flash started after picking a port: ${history.join(' | ')}`);
      return pick;
    });

    summary.refusal = await step('a plain Flash onto encrypted flash: the refusal dialog has the fix as its default button; Enter runs it', async () => {
      await bench.runCommand('ESP Flasher: Flash');
      const dialog = await bench.modalDialog();
      await page.screenshot({ path: path.join(artifacts, '07-refusal-dialog.png') });
      check(/^Flash: nothing was written — /.test(dialog.message), `dialog message: "${dialog.message}"`);
      check(
        dialog.primary.length === 1 && /Flash \(Encrypted\) Instead/.test(dialog.primary[0]),
        `the primary button is "${dialog.primary.join(', ')}", not the fix: ${dialog.buttons.join(' | ')}`,
      );
      check(/Flash \(Encrypted\) Instead/.test(dialog.focused), `the focused (default) button is "${dialog.focused}", not the fix: ${dialog.buttons.join(' | ')}`);
      check(dialog.buttons.some((b) => /Override/.test(b)) && !dialog.primary.some((b) => /Override/.test(b)), `Override… missing or the default: ${dialog.buttons.join(' | ')}`);
      const paragraphs = dialog.detail
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
      check(new Set(paragraphs).size === paragraphs.length, `a paragraph is repeated in the detail:\n${dialog.detail}`);
      // The refused job left "ESP: Flash failed" in the status bar: record only what the fix shows after Enter.
      await bench.recordStatusBar();
      await page.keyboard.press('Enter');
      await bench.statusBarSeen(/\d+%/, 60_000);
      return { ...dialog, status: await bench.statusBarItem(/ESP: Flash \(Encrypted\) ok/, 120_000) };
    });

    summary.buildAndFlash = await step('"Build and Flash (Encrypted)" runs idf.py build in the terminal, then flashes', async () => {
      await bench.recordStatusBar();
      await bench.runCommand('ESP Flasher: Build and Flash (Encrypted)');
      const until = Date.now() + 30_000;
      let text = '';
      while (!/\[2\/4\] Building/.test(text)) {
        if (Date.now() > until) throw new Error(`the terminal never showed the build running; it shows:\n${text}`);
        await page.waitForTimeout(100);
        text = await bench.terminalText();
      }
      await page.screenshot({ path: path.join(artifacts, '08-build-and-flash.png') });
      check(/fake idf\.py build in /.test(text), `the terminal does not show "idf.py build":\n${text}`);
      await bench.statusBarSeen(/\d+%/, 60_000);
      return { terminal: text.split('\n').filter(Boolean).slice(0, 6), status: await bench.statusBarItem(/ESP: Flash \(Encrypted\) ok/, 120_000) };
    });

    summary.deviceView = await step('the Device view is filled by the flash: revision, crystal, features, eFuse summary', async () => {
      await bench.runCommand('View: Close Panel').catch(() => {});
      // Collapse the Flash Plan pane so every Device row is rendered (the tree only renders visible rows).
      const planHeader = page.locator('.part.sidebar .pane-header', { hasText: 'Flash Plan' }).first();
      if ((await planHeader.getAttribute('aria-expanded')) === 'true') await planHeader.click();
      await page.waitForTimeout(300);
      const facts = {};
      for (const label of ['Revision', 'Crystal', 'Features', 'Flash encryption', 'BLOCK_KEY0']) facts[label] = (await bench.treeRow(label)).description;
      await page.screenshot({ path: path.join(artifacts, '09-device-view.png') });
      check(/^v\d+\.\d+$/.test(facts.Revision), `Revision: "${facts.Revision}"`);
      check(facts.Crystal === '40 MHz', `Crystal: "${facts.Crystal}"`);
      check(/BLE/.test(facts.Features), `Features: "${facts.Features}"`);
      check(/burned · write-protected · read-protected/.test(facts.BLOCK_KEY0), `BLOCK_KEY0: "${facts.BLOCK_KEY0}"`);
      return facts;
    });
    summary.flashAll = await step('Flash All (Encrypted): check ports in the multi-select picker; the Device view shows a row per device with its verdict', () =>
      flashAllInBrowser(bench, page, artifacts, PORT),
    );
    if (crashDemo) {
      summary.monitor = await step('"Flash and Monitor" on a virtual ESP32, "panic" typed in the monitor terminal: the crash is decoded to function at file:line', () =>
        monitorCrashInBrowser(bench, page, artifacts, workspace, crashDemo),
      );
    } else log(`no ${crashElf}: the monitor crash step is skipped`);
    summary.activation = await step('activation time from "Developer: Show Running Extensions"', () => bench.activationTime(EXTENSION_ID, 'ESP Flasher'));
    await page.screenshot({ path: path.join(artifacts, '10-running-extensions.png') });
  } finally {
    await cleanup();
    summary.steps = results;
    summary.seconds = (Date.now() - started) / 1000;
    writeFileSync(path.join(artifacts, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  }
  return summary;
}

/** The build's flash size from flasher_args.json ("4MB" → bytes). */
function buildFlashSize(buildDir) {
  const json = JSON.parse(readFileSync(path.join(buildDir, 'flasher_args.json'), 'utf8'));
  const m = /^(\d+)MB$/i.exec(json.flash_settings?.flash_size ?? '');
  if (!m) throw new Error(`flasher_args.json has no flash_settings.flash_size like "4MB" (${json.flash_settings?.flash_size})`);
  return Number(m[1]) * 1024 * 1024;
}

/**
 * The flash map as the browser laid it out: every box's left and width proportional to its offset and size (within
 * a pixel), the writes lane holding exactly the build's images at their offsets and file sizes, no two boxes in a
 * lane overlapping, the partition lane's boxes following each other, and every label inside its box.
 */
function checkFlashMapGeometry(lanes, segments, flashSize) {
  const tolerance = 1.01;
  for (const lane of lanes) {
    check(lane.width > 200, `lane ${lane.id} is only ${lane.width} px wide`);
    check(lane.flashSize === flashSize, `lane ${lane.id} spans ${lane.flashSize} bytes; the build's flash size is ${flashSize}`);
    const scale = lane.width / flashSize;
    for (const b of lane.boxes) {
      const left = b.offset * scale;
      const width = Math.min(b.size, flashSize - b.offset) * scale;
      check(
        Math.abs(b.left - left) <= tolerance,
        `lane ${lane.id}: "${b.name}" at ${b.left.toFixed(2)} px (computed left ${b.computedLeft}); ${b.offset} of ${flashSize} bytes is ${left.toFixed(2)} px`,
      );
      check(Math.abs(b.width - width) <= tolerance, `lane ${lane.id}: "${b.name}" is ${b.width.toFixed(2)} px wide; ${b.size} bytes is ${width.toFixed(2)} px`);
      check(b.labelInside, `lane ${lane.id}: the label of "${b.name}" spills out of its box`);
    }
    const sorted = [...lane.boxes].sort((a, b) => a.left - b.left);
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1];
      check(
        prev.left + prev.width <= sorted[i].left + 0.5,
        `lane ${lane.id}: "${prev.name}" (${prev.left.toFixed(1)}+${prev.width.toFixed(1)} px) overlaps "${sorted[i].name}" at ${sorted[i].left.toFixed(1)} px`,
      );
    }
  }
  const writes = lanes.find((l) => l.id === 'writes');
  const drawn = writes.boxes.map((b) => `${b.name}@${b.offset}+${b.size}`).sort();
  const expected = segments.map((s) => `${s.name}@${s.offset}+${statSync(s.file).size}`).sort();
  check(JSON.stringify(drawn) === JSON.stringify(expected), `the writes lane shows ${drawn.join(', ')}; the build has ${expected.join(', ')}`);
  const parts = [...lanes.find((l) => l.id === 'partitions').boxes].sort((a, b) => a.offset - b.offset);
  check(parts.length >= 3, `the partitions lane has ${parts.length} boxes`);
  for (let i = 1; i < parts.length; i++) {
    const prevEnd = parts[i - 1].left + parts[i - 1].width;
    check(
      Math.abs(parts[i].left - prevEnd) <= 1.5 || parts[i].offset > parts[i - 1].offset + parts[i - 1].size,
      `partitions lane: a gap or overlap between "${parts[i - 1].name}" and "${parts[i].name}"`,
    );
  }
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
