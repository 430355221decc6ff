// Ring 3b step for the serial monitor (issue 13), as a user does it: the workspace's build folder setting points at a
// build whose app is made from a real ESP32 ELF with DWARF (test/fixtures/crash_demo_build.ts, ELF beside the image),
// the port at a virtual ESP32 with DTR/RTS; "ESP Flasher: Flash and Monitor" from the palette opens the monitor
// terminal and flashes; typing "panic" + Enter in the terminal crashes the app; the terminal shows the Guru Meditation
// and each backtrace address decoded as function at file:line. Screenshots: the window and the terminal panel.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './tools.mjs';

export const MONITOR_PORT = 'virtual:esp32:resetlines';

function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** Writes <folder>/crash_demo/build from `elf`; returns the build folder relative to `folder`. */
export async function writeCrashDemo(folder, elf) {
  const { tsImport } = await import('tsx/esm/api');
  const module = await tsImport(pathToFileURL(path.join(repoRoot, 'test/fixtures/crash_demo_build.ts')).href, import.meta.url);
  const write = module.writeCrashDemoBuild ?? module.default?.writeCrashDemoBuild;
  const buildDir = await write(path.join(folder, 'crash_demo'), elf);
  return path.relative(folder, buildDir);
}

async function waitForText(read, pattern, timeout, what) {
  const until = Date.now() + timeout;
  let text = '';
  while (!pattern.test(text)) {
    if (Date.now() > until) throw new Error(`timed out after ${timeout / 1000} s waiting for ${what}; it shows:\n${text.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
    text = await read();
  }
  return text;
}

/** Runs the step; returns the decoded frames the terminal showed. */
export async function monitorCrashInBrowser(bench, page, artifacts, workspace, buildFolder) {
  const settingsFile = path.join(workspace.folder, '.vscode/settings.json');
  const settings = JSON.parse(readFileSync(settingsFile, 'utf8'));
  writeFileSync(settingsFile, JSON.stringify({ ...settings, 'espFlasher.port': MONITOR_PORT, 'espFlasher.buildFolder': buildFolder }, null, 2) + '\n');
  await bench.showOutputChannel('ESP Flasher');
  await waitForText(() => bench.outputText(), /Flash plan: \d+ segments from \S*crash_demo[/\\]build/, 30_000, 'the plan of the crash demo build');
  await bench.runCommand('View: Close Panel').catch(() => {});

  await bench.runCommand('ESP Flasher: Flash and Monitor');
  // The terminal wraps long lines into rows: match on the rows joined.
  const terminal = async () => (await bench.terminalText()).replace(/\n/g, '');
  await waitForText(terminal, /Crash addresses are decoded with \S*crash_demo\.elf/, 30_000, 'the monitor terminal naming the ELF');
  await waitForText(terminal, /Resumed after a flash job\.[\s\S]*Calling app_main\(\)/, 120_000, 'the flashed app to boot in the monitor terminal');
  await bench.runCommand('View: Toggle Maximized Panel').catch(() => {});
  await page.locator('.part.panel .xterm').first().click();
  await page.keyboard.type('panic');
  await page.keyboard.press('Enter');
  const text = await waitForText(
    terminal,
    /Guru Meditation Error[\s\S]*--- PC 0x[0-9a-f]{8}: call_start_cpu0 at \S*bootloader_start\.c:\d+[\s\S]*Backtrace:[\s\S]*--- 0x[0-9a-f]{8}: \S+ at \S+\.c:\d+[\s\S]*Rebooting\.\.\./,
    30_000,
    'the panic with decoded frames',
  );
  await page.waitForTimeout(500);
  await page.screenshot({ path: path.join(artifacts, '13-monitor-crash.png') });
  const panel = await page.locator('.part.panel').first().boundingBox();
  if (panel) await page.screenshot({ path: path.join(artifacts, '13-monitor-crash-panel.png'), clip: panel });
  const rows = (await bench.terminalText()).split('\n');
  check(
    rows.some((r) => /--- PC 0x[0-9a-f]{8}: call_start_cpu0 at/.test(r)),
    `no row starts the decoded PC frame:\n${rows.join('\n')}`,
  );
  await bench.runCommand('View: Toggle Maximized Panel').catch(() => {});
  return [...text.matchAll(/--- (?:PC |\(stack\) )?0x[0-9a-f]{8}: \S+ at \S+?\.c:\d+/g)].map((m) => m[0]);
}
