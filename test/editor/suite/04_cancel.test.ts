import * as assert from 'assert';
import * as vscode from 'vscode';
import type { FlashResult } from '../../../src/core/flash/api';
import type { EspFlasherApi } from '../../../src/ui/api';
import { descendantProcesses } from '../support/child_processes';
import { extensionApi } from '../support/extension_api';
import { waitFor } from '../support/wait_for';

// "timing" paces the virtual chip like a real UART and flash, so the flash lasts long enough to cancel.
const SLOW_PORT = 'virtual:esp32s3:encryption=development:flash=8MB:timing';

describe('Cancelling a flash midway', function () {
  this.timeout(90_000);

  it('stops the job, says so, and releases the port for the next job', async () => {
    const api = await extensionApi();
    await api.refresh();
    assert.deepStrictEqual(descendantProcesses('socat'), [], 'a socat from an earlier test is still running');
    const before = api.outputLines().length;
    const flashing = Promise.resolve(vscode.commands.executeCommand('espFlasher.flashEncrypted', { port: SLOW_PORT })) as Promise<FlashResult | undefined>;
    try {
      await cancelAndCheck(api, flashing, before);
    } finally {
      // A failed check must not leave the flash (and its socat) running past this test.
      await vscode.commands.executeCommand('espFlasher.cancel');
      await Promise.race([flashing.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 10_000))]);
    }
  });
});

async function cancelAndCheck(api: EspFlasherApi, flashing: Promise<FlashResult | undefined>, before: number): Promise<void> {
  await waitFor(() => api.flashState.phase === 'flashing' && api.flashState.percent >= 2, 60_000, 'the flash to pass 2 %');
  assert.strictEqual(descendantProcesses('socat').length, 1, 'while flashing, the virtual port runs on one socat pty pair (so the check below can see it)');
  const cancelledAt = api.flashState.percent;
  const t0 = Date.now();
  assert.strictEqual(await vscode.commands.executeCommand('espFlasher.cancel'), true, 'espFlasher.cancel found no running job');
  const result = await Promise.race([flashing, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the flash did not stop within 10 s of cancelling')), 10_000))]);
  const lines = api.outputLines().slice(before);
  console.log(`      cancelled at ${cancelledAt.toFixed(0)} %, stopped after ${Date.now() - t0} ms`);

  assert.strictEqual(api.flashState.phase, 'cancelled', `state ${JSON.stringify(api.flashState)}\n${lines.join('\n')}`);
  assert.notStrictEqual(result?.ok, true, 'a cancelled flash must not report success');
  if (result)
    assert.ok(
      result.segments.some((s) => s.status !== 'written'),
      'every segment was written although the job was cancelled',
    );
  assert.ok(
    lines.some((l) => /Cancel requested\.$/.test(l)),
    lines.join('\n'),
  );
  assert.doesNotMatch(api.statusBarText(), /ok/, api.statusBarText());
  assert.ok(
    api.dialogs().some((d) => !d.modal && /cancelled; .* is free again/.test(d.message)),
    `no "cancelled; … is free again" notification: ${JSON.stringify(api.dialogs().map((d) => d.message))}`,
  );

  // The port is released: the pseudo-terminal's socat is gone and the next job on the same port runs.
  await waitFor(() => descendantProcesses('socat').length === 0, 5000, "the virtual port's socat to exit");
  await vscode.commands.executeCommand('espFlasher.readDeviceInfo', { port: SLOW_PORT });
  assert.strictEqual(api.deviceInfo?.chip, 'esp32s3', `Read Device Info on ${SLOW_PORT} after the cancel:\n${api.outputLines().slice(-5).join('\n')}`);
  assert.strictEqual(api.deviceInfo?.flashEncryption, 'development');
  assert.deepStrictEqual(descendantProcesses('socat'), []);
}
