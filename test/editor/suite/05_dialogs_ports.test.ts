import * as assert from 'assert';
import * as vscode from 'vscode';
import type { FlashResult } from '../../../src/core/flash/api';
import { extensionApi } from '../support/extension_api';
import { waitFor } from '../support/wait_for';

const ENCRYPTED_PORT = 'virtual:esp32s3:encryption=development:flash=8MB';

describe('Refusal dialog, Device view and port picker', function () {
  this.timeout(90_000);

  it('a plain Flash onto encrypted flash is refused with the fix as the default button; choosing it flashes encrypted', async () => {
    const api = await extensionApi();
    await api.refresh();
    const before = api.dialogs().length;
    api.answerDialogs('Flash (Encrypted) Instead');
    const refused = (await vscode.commands.executeCommand('espFlasher.flash', { port: ENCRYPTED_PORT })) as FlashResult | undefined;
    assert.ok(refused && !refused.ok && refused.refusals?.length, `expected a refusal, got ${JSON.stringify(refused?.error)}`);
    const dialog = api
      .dialogs()
      .slice(before)
      .find((d) => d.modal);
    assert.ok(dialog, 'no modal dialog');
    assert.deepStrictEqual(dialog.items, ['Flash (Encrypted) Instead', 'Override…'], 'the fix first (the default button), the override last');
    assert.match(dialog.message, /^Flash: nothing was written — /);
    // Each refusal's reason once; the advice once per rule (rules come with codes, so the advice is not repeated per segment).
    for (const r of refused.refusals!) {
      assert.strictEqual(dialog.detail!.split(r.reason).length, 2, `the reason "${r.reason}" is not in the detail exactly once:\n${dialog.detail}`);
      const advice = r.advice.replace(/\s*\(--force overrides this check\.\)/, '');
      assert.strictEqual(dialog.detail!.split(advice).length, 2, `the advice "${advice}" is not in the detail exactly once:\n${dialog.detail}`);
    }
    assert.ok(!dialog.message.includes(refused.refusals![0].message), 'the bold line repeats a refusal paragraph');
    await waitFor(() => api.flashState.phase === 'succeeded' && api.flashState.operation === 'Flash (Encrypted)', 60_000, 'the fix (Flash (Encrypted)) to succeed');
    assert.strictEqual(api.statusBarCommand()?.command, 'espFlasher.flashEncrypted');
  });

  it('the Device view is filled by the flash itself: revision, crystal, features, the eFuse summary', async () => {
    const api = await extensionApi();
    const rows = api.deviceRows.map((r) => `${r.label}: ${r.value}`);
    const has = (re: RegExp) =>
      assert.ok(
        rows.some((r) => re.test(r)),
        `no ${re} in the Device view:\n${rows.join('\n')}`,
      );
    has(/^Port: virtual:esp32s3:encryption=development:flash=8MB$/);
    has(/^Revision: v\d+\.\d+$/);
    has(/^Crystal: 40 MHz$/);
    has(/^Features: .*BLE/);
    has(/^Flash encryption: development/);
    has(/^BLOCK_KEY0: XTS_AES_128_KEY · burned · write-protected · read-protected$/);
    has(/^eFuse write-protect \(WR_DIS\): 0x/);
  });

  it('the port item in the status bar picks a port (current one preselected, virtual chips behind one entry) and never flashes', async () => {
    const api = await extensionApi();
    const cmd = 'espFlasher.selectPort';
    await vscode.commands.executeCommand(cmd, { port: ENCRYPTED_PORT });
    assert.strictEqual(api.port, ENCRYPTED_PORT);
    const before = api.dialogs().length;
    const flashesBefore = api.outputLines().filter((l) => / → /.test(l)).length;
    api.answerDialogs(undefined); // dismiss the picker
    await vscode.commands.executeCommand(cmd);
    const pick = api
      .dialogs()
      .slice(before)
      .find((d) => d.kind === 'quickPick');
    assert.ok(pick, 'no quick pick');
    assert.strictEqual(pick.active, api.port, 'the current port is not preselected');
    assert.strictEqual(pick.items[0], api.port, 'the current port is not first');
    assert.strictEqual(pick.items.filter((i) => i.startsWith('virtual:')).length, 1, `virtual chips are listed one by one: ${pick.items.join(', ')}`);
    assert.ok(pick.items.includes('__virtual__'), 'no "Virtual chip…" entry');
    assert.strictEqual(api.outputLines().filter((l) => / → /.test(l)).length, flashesBefore, 'picking a port started a flash');
    assert.strictEqual(api.port, ENCRYPTED_PORT, 'dismissing the picker changed the port');
    assert.match(api.portItemText(), /^\$\(plug\) Virtual ESP32-S3, flash encryption on \(flash=8MB\)$/);
  });
});
