/**
 * Issue 12, the editor case: after Read Device Info (a 4 MB ESP32 with development flash
 * encryption), corpus 01 — its build says flash size "detect", its headers 8MB — is judged with
 * the device's facts and the header that will be written: the Flash Plan tree shows no refusal,
 * and Flash (Encrypted) writes it. Runs last: it switches the project and the port, then puts
 * them back.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { FlashResult } from '../../../src/core/flash/api';
import { extensionApi } from '../support/extension_api';

const SHARED = path.resolve(process.env.ESP_FLASHER_SHARED_DIR ?? path.resolve(__dirname, '../../../../shared'));
const CORPUS_01 = path.join(SHARED, 'corpus', '01-esp32-idf4.4-flashenc');
const PORT = 'virtual:esp32:encryption=development:flash=4MB';

describe('Flash Plan tree and Flash (Encrypted) judged with the device read (issue 12)', function () {
  this.timeout(120_000);

  it('corpus 01 after Read Device Info on a 4 MB chip: no refusal in the tree, and Flash (Encrypted) writes it', async function () {
    if (!fs.existsSync(CORPUS_01)) {
      console.log(`      ${CORPUS_01} not present: skipped`);
      this.skip();
    }
    const api = await extensionApi();
    const workspaceFolder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const portBefore = api.port;
    try {
      await api.refresh(CORPUS_01);
      assert.strictEqual(api.project?.plan.chip, 'esp32');
      assert.strictEqual(api.project?.plan.settings.size, 'detect');
      const coded = () => api.planTree.rows.filter((r) => r.kind === 'problem' && r.code).map((r) => `${r.severity} ${r.code}`);
      assert.deepStrictEqual(coded(), [], 'no device read yet: no rule that needs one');

      await vscode.commands.executeCommand('espFlasher.selectPort', { port: PORT });
      const info = (await vscode.commands.executeCommand('espFlasher.readDeviceInfo')) as { flashSize?: number; flashEncryption?: string } | undefined;
      assert.strictEqual(info?.flashSize, 4 * 1024 * 1024);
      assert.strictEqual(info?.flashEncryption, 'development');
      // Judged with the device: the bootloader header as "detect" patches it (4MB), so only the app header (written as built) is warned about.
      assert.deepStrictEqual(coded(), ['warning header-flash-size'], api.planTree.rows.map((r) => r.label).join('\n'));
      assert.ok(!api.planTree.rows.some((r) => r.kind === 'problem' && r.severity === 'error'));

      const before = api.dialogs().length;
      const result = (await vscode.commands.executeCommand('espFlasher.flashEncrypted')) as FlashResult | undefined;
      assert.ok(result?.ok, `Flash (Encrypted) failed: ${result?.error}\n${api.outputLines().slice(-15).join('\n')}`);
      assert.deepStrictEqual(
        result.segments.map((s) => `${s.name} ${s.status}`),
        ['bootloader written', 'partition-table written', 'app written'],
      );
      assert.ok(
        !api
          .dialogs()
          .slice(before)
          .some((d) => d.modal),
        'no refusal dialog',
      );
    } finally {
      // (Select Port without a port would open the picker: only put a port back that was there.)
      if (portBefore) await vscode.commands.executeCommand('espFlasher.selectPort', { port: portBefore });
      await api.refresh(workspaceFolder);
    }
  });
});
