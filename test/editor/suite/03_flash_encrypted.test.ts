import * as assert from 'assert';
import * as fs from 'fs';
import * as vscode from 'vscode';
import type { FlashResult } from '../../../src/core/flash/api';
import type { PtyChip } from '../../../src/sim/pty_chip';
import { expectedSegments, hex8 } from '../support/build_expectations';
import { extensionApi } from '../support/extension_api';
import { holdChip } from '../support/held_chip';

// 8 MB like the build's flash size: the plan check knows the device's size after the first connection.
const VIRTUAL_PORT = 'virtual:esp32s3:encryption=development:flash=8MB';
const FLASH_TIMEOUT_MS = 90_000;

async function flashEncrypted(port: string): Promise<FlashResult | undefined> {
  return (await vscode.commands.executeCommand('espFlasher.flashEncrypted', { port })) as FlashResult | undefined;
}

describe('Flash (Encrypted) against a virtual ESP32-S3 with development flash encryption', function () {
  this.timeout(FLASH_TIMEOUT_MS);

  it(`writes every segment of the plan to "${VIRTUAL_PORT}" and reports success in the status bar and the output`, async () => {
    const api = await extensionApi();
    await api.refresh();
    const before = api.outputLines().length;
    const result = await flashEncrypted(VIRTUAL_PORT);
    const lines = api.outputLines().slice(before);
    assert.ok(result, `the command returned no result; output:\n${lines.join('\n')}`);
    assert.strictEqual(result.ok, true, `flash failed: ${result.error}\n${lines.join('\n')}`);
    assert.strictEqual(result.chip, 'esp32s3');
    const expected = expectedSegments();
    assert.deepStrictEqual(
      result.segments.map((s) => [s.name, s.offset, s.status]),
      expected.map((s) => [s.name, s.offset, 'written']),
    );
    assert.strictEqual(api.flashState.phase, 'succeeded');
    assert.match(api.statusBarText(), /ESP: Flash \(Encrypted\) ok/);
    assert.ok(
      lines.some((l) => l.startsWith(`Flash (Encrypted) → ${VIRTUAL_PORT}:`)),
      lines.join('\n'),
    );
    for (const s of expected) {
      const wrote = new RegExp(`^Wrote \\d+ bytes.* to ${s.name} at ${hex8(s.offset)} `);
      assert.ok(
        lines.some((l) => wrote.test(l)),
        `no "Wrote … to ${s.name} at ${hex8(s.offset)}" line in:\n${lines.join('\n')}`,
      );
    }
    assert.ok(
      lines.some((l) => /^Flash finished in \d+\.\d s/.test(l)),
      lines.join('\n'),
    );
    assert.deepStrictEqual(
      api.dialogs().filter((d) => d.modal),
      [],
      'no modal dialog should stop a flash that passes its checks',
    );
  });

  it('a click on the status-bar item afterwards runs Flash (Encrypted) again, not a plain Flash', async () => {
    const api = await extensionApi();
    const click = api.statusBarCommand();
    assert.ok(click, 'the status-bar item has no command');
    assert.strictEqual(click.command, 'espFlasher.flashEncrypted', JSON.stringify(click));
    assert.deepStrictEqual(click.arguments, [{ port: VIRTUAL_PORT }]);
    const dialogsBefore = api.dialogs().length;
    const again = (await vscode.commands.executeCommand(click.command, ...(click.arguments ?? []))) as FlashResult | undefined;
    assert.ok(again?.ok, `the re-run failed: ${again?.error}`);
    assert.strictEqual(api.flashState.operation, 'Flash (Encrypted)');
    assert.match(api.statusBarText(), /ESP: Flash \(Encrypted\) ok/);
    assert.deepStrictEqual(
      api
        .dialogs()
        .slice(dialogsBefore)
        .filter((d) => d.modal),
      [],
      'the re-run met a refusal',
    );
  });

  describe('on a chip the test holds (its pseudo-terminal path as the port)', () => {
    let held: PtyChip | undefined;
    before(async () => {
      held = await holdChip({ chip: 'esp32s3', encryption: 'development', flashSize: 8 * 1024 * 1024 });
    });
    after(async () => {
      await held?.close();
    });

    it("leaves ciphertext in flash that decrypts to the build's images, and writes plain segments as they are", async () => {
      const api = await extensionApi();
      const chip = held!;
      const before = api.outputLines().length;
      const result = await flashEncrypted(chip.path);
      const lines = api.outputLines().slice(before);
      assert.ok(result?.ok, `flash to ${chip.path} failed: ${result?.error}\n${lines.join('\n')}`);
      for (const s of expectedSegments()) {
        const image = new Uint8Array(fs.readFileSync(s.file));
        const raw = chip.chip.readFlash(s.offset, image.length);
        if (s.encrypt) {
          const decrypted = chip.chip.decryptFlash(s.offset, image.length);
          assert.ok(Buffer.from(decrypted).equals(Buffer.from(image)), `${s.name} at ${hex8(s.offset)}: decrypted flash differs from ${s.file}`);
          assert.ok(!Buffer.from(raw).equals(Buffer.from(image)), `${s.name} at ${hex8(s.offset)}: flash holds plaintext, expected ciphertext`);
        } else {
          assert.ok(Buffer.from(raw).equals(Buffer.from(image)), `${s.name} at ${hex8(s.offset)}: plain segment differs from ${s.file}`);
        }
      }
    });
  });
});
