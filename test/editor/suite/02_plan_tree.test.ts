import * as vscode from 'vscode';
import * as path from 'path';
import * as assert from 'assert';
import { expectedSegments, workspaceBuildDir } from '../support/build_expectations';
import { extensionApi } from '../support/extension_api';

describe('Flash Plan tree', () => {
  it("shows one row per flasher_args.json image, in offset order, with the build's encrypt flags as checkbox defaults", async () => {
    const api = await extensionApi();
    // Tree refresh time (read the build, check the plan, rebuild the rows): reported, not asserted.
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = Date.now();
      await api.refresh();
      times.push(Date.now() - t0);
    }
    console.log(`tree refresh times (ms): ${times.join(', ')}`);
    const expected = expectedSegments();
    const rows = api.planTree.rows.filter((r) => r.kind === 'segment');
    assert.deepStrictEqual(
      rows.map((r) => ({ name: r.segmentName, offset: r.offset, checked: r.checked })),
      expected.map((s) => ({ name: s.name, offset: s.offset, checked: s.encrypt })),
    );
    assert.strictEqual(api.project?.kind, 'esp-idf');
    assert.strictEqual(api.project?.plan.chip, 'esp32s3');
    assert.match(api.planTree.headline ?? '', /ESP32-S3/, `headline: ${api.planTree.headline}`);
    // The headline names the build folder relative to the workspace ("build"), not its absolute path.
    const relative = path.relative(vscode.workspace.workspaceFolders![0].uri.fsPath, workspaceBuildDir());
    assert.ok((api.planTree.headline ?? '').includes(`: ${relative} · `), `headline names the build folder as "${relative}": ${api.planTree.headline}`);
    assert.ok(!(api.planTree.headline ?? '').includes(workspaceBuildDir()), `headline shows the absolute path: ${api.planTree.headline}`);
  });

  it('shows partitions without an image as rows without a checkbox', async () => {
    const api = await extensionApi();
    const partitions = api.planTree.rows.filter((r) => r.kind === 'partition');
    assert.ok(partitions.length > 0, 'the corpus build has partitions without images (nvs, phy_init, ...)');
    for (const row of partitions) assert.strictEqual(row.checked, undefined, `partition row ${row.label} has a checkbox`);
  });

  it('keeps a toggled checkbox when the plan is read again, and forgets it when set back to the default', async () => {
    const api = await extensionApi();
    const plain = expectedSegments().find((s) => !s.encrypt);
    assert.ok(plain, 'the workspace build has a segment that is not encrypted by default (set 02: storage)');
    const row = () => api.planTree.rows.find((r) => r.segmentName === plain.name)!;

    await api.setEncrypt(plain.name, true);
    assert.strictEqual(row().checked, true);
    await api.refresh();
    assert.strictEqual(row().checked, true, 'the choice did not survive re-reading the project (workspaceState)');
    assert.ok(api.outputLines().includes(`Encrypt ${plain.name}: on.`), api.outputLines().slice(-5).join('\n'));

    await api.setEncrypt(plain.name, false);
    await api.refresh();
    assert.strictEqual(row().checked, false);
    assert.ok(api.outputLines().includes(`Encrypt ${plain.name}: off (the build default).`), api.outputLines().slice(-5).join('\n'));
  });

  it('refuses to toggle a segment that is not in the plan, naming the segments there are', async () => {
    const api = await extensionApi();
    await assert.rejects(api.setEncrypt('no-such-segment', true), /No segment "no-such-segment".*Segments: bootloader/);
  });
});
