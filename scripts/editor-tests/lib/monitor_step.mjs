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
  // The visible terminal's rows (the DOM renderer draws only the rows in view; the build task's terminal is hidden).
  const rowsLocator = page.locator('.part.panel .xterm-rows:visible').first();
  const visibleRows = async () => (await rowsLocator.innerText().catch(() => '')).replace(/\u00a0/g, ' ');
  await waitForText(visibleRows, /Calling app_main\(\)/, 120_000, 'the flashed app to boot in the monitor terminal');
  await bench.runCommand('View: Toggle Maximized Panel').catch(() => {});
  await page.locator('.part.panel .xterm:visible').first().click();
  await page.keyboard.type('panic');
  await page.keyboard.press('Enter');
  // The app reboots after the panic: wait for the new boot, then scroll back to the panic.
  await waitForText(visibleRows, /Rebooting\.\.\.[\s\S]*Calling app_main\(\)/, 30_000, 'the panic and the reboot');
  await page.waitForTimeout(500);
  const box = await page.locator('.part.panel .xterm:visible').first().boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const until = Date.now() + 15_000;
  let text = await visibleRows();
  while (!/Guru Meditation Error/.test(text)) {
    if (Date.now() > until) throw new Error(`scrolling up never showed the Guru Meditation line; the terminal shows:\n${text}`);
    await page.mouse.wheel(0, -60);
    await page.waitForTimeout(150);
    text = await visibleRows();
  }
  // A little more, so the lines before the panic show too.
  await page.mouse.wheel(0, -60);
  await page.waitForTimeout(300);
  text = await visibleRows();
  check(
    /--- PC 0x[0-9a-f]{8}: call_start_cpu0 at \S*bootloader_start\.c:\d+/.test(text.replace(/\n/g, '')),
    `the decoded PC frame "--- PC 0x…: call_start_cpu0 at …bootloader_start.c:N" is not on screen:\n${text}`,
  );
  check(/Backtrace: 0x/.test(text) && /--- 0x[0-9a-f]{8}: \S+ at /.test(text), `no decoded backtrace frame on screen:\n${text}`);
  await page.screenshot({ path: path.join(artifacts, '13-monitor-crash.png') });
  const panel = await page.locator('.part.panel').first().boundingBox();
  if (panel) await page.screenshot({ path: path.join(artifacts, '13-monitor-crash-panel.png'), clip: panel });
  const frameRows = text.split('\n').filter((l) => /^--- (PC )?0x[0-9a-f]{8}: /.test(l));
  const link = await clickFrameLink(page, artifacts);
  await bench.runCommand('View: Toggle Maximized Panel').catch(() => {});
  return { frameRows, link };
}

/**
 * Ctrl+click on the decoded PC frame's "file:line": VS Code's terminal link provider found the link. The ELF's
 * sources are not on this computer (it was built elsewhere), so the notification says so instead of opening it.
 */
async function clickFrameLink(page, artifacts) {
  const row = page.locator('.part.panel .xterm-rows:visible > div', { hasText: /--- PC 0x[0-9a-f]{8}: call_start_cpu0 at / }).first();
  const point = await row.evaluate((element) => {
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const at = node.textContent.indexOf(' at /');
      if (at < 0) continue;
      const range = document.createRange();
      range.setStart(node, at + 6);
      range.setEnd(node, at + 7);
      const r = range.getBoundingClientRect();
      return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
    }
    return undefined;
  });
  check(point, 'the decoded PC frame row has no " at /…" text to click');
  await page.mouse.move(point.x, point.y);
  await page.keyboard.down('Control');
  await page.waitForTimeout(300);
  await page.mouse.click(point.x, point.y);
  await page.keyboard.up('Control');
  const toast = page.locator('.notifications-toasts .notification-toast', { hasText: /is not on this computer/ }).first();
  await toast.waitFor({ timeout: 10_000 }).catch(() => {
    throw new Error('Ctrl+click on the decoded frame\'s file:line did not reach the link handler (no "… is not on this computer" notification)');
  });
  await page.screenshot({ path: path.join(artifacts, '14-monitor-frame-link.png') });
  return (await toast.innerText()).replace(/\s+/g, ' ').trim();
}
