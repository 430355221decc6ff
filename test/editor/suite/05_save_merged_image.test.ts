import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { decryptFlashData, keyForChip } from '../../../src/core/crypto/flash_crypto';
import { expectedSegments, hex8, type ExpectedSegment } from '../support/build_expectations';
import { extensionApi } from '../support/extension_api';

const read = (f: string): Uint8Array => new Uint8Array(fs.readFileSync(f));

/** `got` (the segment's region) holds the build's `bytes` (a bootloader's header settings and digest may be patched: left out). */
function assertRegion(got: Uint8Array, s: ExpectedSegment, bytes: Uint8Array): void {
  const isBoot = s.name === 'bootloader';
  for (let i = 0; i < bytes.length; i++) {
    if (isBoot && (i === 2 || i === 3 || i >= bytes.length - 32)) continue;
    if (got[i] !== bytes[i]) assert.fail(`${s.name} at ${hex8(s.offset)}: byte ${i} is ${got[i]}, the build's file has ${bytes[i]}`);
  }
}

describe('Save Merged Image… (Flash Plan view menu)', function () {
  this.timeout(60_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esp-flasher-merged-ui-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('plain: every segment of the plan at its offset, 0xFF between them', async () => {
    const api = await extensionApi();
    await api.refresh();
    const out = path.join(dir, 'plain.bin');
    api.answerDialogs('plain');
    const result = await vscode.commands.executeCommand('espFlasher.saveMergedImage', { file: out });
    assert.strictEqual(result, out, `no image saved; dialogs: ${JSON.stringify(api.dialogs().slice(-3))}`);
    const img = read(out);
    const segments = expectedSegments();
    let end = 0;
    for (const s of segments) {
      const bytes = read(s.file);
      assertRegion(img.subarray(s.offset, s.offset + bytes.length), s, bytes);
      if (end)
        assert.ok(
          img.subarray(end, s.offset).every((b) => b === 0xff),
          `gap before ${s.name} is not 0xFF`,
        );
      end = s.offset + bytes.length;
    }
    assert.strictEqual(img.length, end);
  });

  it("encrypted with the key file from the settings: marked segments decrypt to the build's files, the others stay plain", async () => {
    const api = await extensionApi();
    const keyFile = path.join(dir, 'key.bin');
    const key = Uint8Array.from({ length: 32 }, (_, i) => (i * 29 + 7) & 0xff);
    fs.writeFileSync(keyFile, key);
    const config = vscode.workspace.getConfiguration('espFlasher');
    await config.update('encryption.keyFile', keyFile, vscode.ConfigurationTarget.Workspace);
    try {
      const out = path.join(dir, 'encrypted.bin');
      api.answerDialogs('encrypted');
      const result = await vscode.commands.executeCommand('espFlasher.saveMergedImage', { file: out });
      assert.strictEqual(result, out, `no image saved; dialogs: ${JSON.stringify(api.dialogs().slice(-3))}`);
      const img = read(out);
      const chip = api.project?.plan.chip ?? 'esp32s3';
      const flashKey = keyForChip(key, chip);
      const segments = expectedSegments();
      assert.ok(segments.some((s) => s.encrypt) && segments.some((s) => !s.encrypt), 'the workspace build mixes encrypted and plain segments');
      for (const s of segments) {
        const bytes = read(s.file);
        if (!s.encrypt) {
          assertRegion(img.subarray(s.offset, s.offset + bytes.length), s, bytes);
          continue;
        }
        const n = Math.ceil(bytes.length / 16) * 16;
        const cipher = img.subarray(s.offset, s.offset + n);
        assert.ok(!Buffer.from(cipher.subarray(0, 16)).equals(Buffer.from(bytes.subarray(0, 16))), `${s.name} is plaintext in the image`);
        const plain = decryptFlashData(flashKey, s.offset, cipher);
        assertRegion(plain, s, bytes);
      }
    } finally {
      await config.update('encryption.keyFile', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});
