// Ring 3b step for Flash All (issue 14), as a user does it: "ESP Flasher: Flash All (Encrypted)" from the palette,
// real checkboxes in the multi-select port picker (a virtual ESP32-C3, and "Enter port paths…" to type the
// workspace's 8 MB virtual ESP32-S3), Enter; then the Device view shows one row per device with its own verdict:
// the ESP32-S3 flashed, the ESP32-C3 refused as the wrong chip on its row (not a global error dialog), and
// expanding that row shows each refusal and what to do.
import path from 'node:path';

const C3 = 'virtual:esp32c3';

function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** Runs the step; returns what the rows said. `port` is the workspace's virtual ESP32-S3 spec (8 MB, encryption on). */
export async function flashAllInBrowser(bench, page, artifacts, port) {
  const widget = page.locator('.quick-input-widget');
  const rows = page.locator('.quick-input-list .monaco-list-row');
  await bench.runCommand('ESP Flasher: Flash All (Encrypted)', { opensPrompt: true });
  await rows.first().waitFor({ timeout: 15_000 });
  const checkRow = async (text) => {
    const row = rows.filter({ hasText: text }).first();
    await row.waitFor({ timeout: 10_000 }).catch(async () => {
      throw new Error(`the Flash All picker has no row "${text}"; it shows: ${(await rows.allInnerTexts()).join(' | ')}`);
    });
    await row.click();
    const checked = await row.evaluate((element) => {
      const box = element.querySelector('input[type=checkbox], [role=checkbox], .quick-input-list-checkbox');
      const aria = element.getAttribute('aria-checked') ?? box?.getAttribute('aria-checked');
      return box instanceof HTMLInputElement ? box.checked : aria === 'true';
    });
    check(checked, `clicking the row "${text}" did not check it (is the picker multi-select?)`);
  };
  await checkRow('Virtual ESP32-C3');
  await checkRow('Enter port paths');
  await page.screenshot({ path: path.join(artifacts, '11-flash-all-picker.png') });
  await page.keyboard.press('Enter');
  // The second box: the typed paths.
  const input = page.locator('.quick-input-widget input');
  await page.waitForTimeout(300);
  await input.fill(port);
  await page.keyboard.press('Enter');
  await widget.waitFor({ state: 'hidden', timeout: 10_000 });

  const waitRow = async (label, pattern, timeout = 120_000) => {
    const until = Date.now() + timeout;
    let last = '';
    for (;;) {
      const row = await bench.treeRow(label, 5000).catch(() => undefined);
      last = row?.description ?? last;
      if (row && pattern.test(row.description)) return row.description;
      if (Date.now() > until) throw new Error(`Device view row "${label}": expected ${pattern}, it says "${last}"`);
      await page.waitForTimeout(200);
    }
  };
  const s3 = await waitRow(port, /^ok · \d+\.\d s/);
  const c3 = await waitRow(C3, /^refused · This device is ESP32-C3/);
  // Expanding the refused row shows its record: each refusal and what to do.
  await bench.treeRowLocator(C3).click();
  const refused = await bench.treeRow('Refused', 10_000);
  check(/^This device is ESP32-C3/.test(refused.description), `the first "Refused" detail says "${refused.description}"`);
  const todo = await bench.treeRow('What to do', 10_000);
  check(/line for its chip/.test(todo.description), `"What to do" says "${todo.description}"`);
  await page.screenshot({ path: path.join(artifacts, '12-flash-all-rows.png') });
  const modal = await page
    .locator('.monaco-dialog-box')
    .count()
    .catch(() => 0);
  check(modal === 0, 'a per-device refusal opened a modal dialog');
  return { [port]: s3, [C3]: c3, refused: refused.description, todo: todo.description };
}
