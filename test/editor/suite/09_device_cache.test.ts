import * as assert from 'assert';
import * as vscode from 'vscode';
import type { FlashResult } from '../../../src/core/flash/api';
import type { PtyChip } from '../../../src/sim/pty_chip';
import { expectedSegments } from '../support/build_expectations';
import { extensionApi } from '../support/extension_api';
import { holdChip } from '../support/held_chip';

const SPI_FLASH_MD5 = 0x13;

describe('The device cache in the editor (global storage)', function () {
  this.timeout(120_000);
  let held: PtyChip | undefined;
  before(async () => {
    held = await holdChip({ chip: 'esp32s3', flashSize: 8 * 1024 * 1024 });
  });
  after(async () => {
    await held?.close();
  });

  /** Flash the build plainly onto the held chip: the result, the output lines, MD5 requests the chip answered (bytes on flash: test/device/md5_economy.test.ts). */
  async function flash(): Promise<{ result: FlashResult | undefined; lines: string[]; md5s: number }> {
    const api = await extensionApi();
    const chip = held!;
    let md5s = 0;
    const off = chip.chip.onTrace((e) => {
      if (e.op === SPI_FLASH_MD5) md5s++;
    });
    const before = api.outputLines().length;
    try {
      const result = (await vscode.commands.executeCommand('espFlasher.flash', { port: chip.path })) as FlashResult | undefined;
      const lines = api.outputLines().slice(before);
      assert.ok(result?.ok, `flash to ${chip.path} failed: ${result?.error}\n${lines.join('\n')}`);
      return { result, lines, md5s };
    } finally {
      off();
    }
  }

  it('a re-flash is one MD5 per segment; flash changed behind its back is noticed and rewritten', async () => {
    await flash();
    const segments = expectedSegments().length;
    const again = await flash();
    assert.ok(
      again.result!.segments.every((s) => s.status === 'skipped'),
      again.result!.segments.map((s) => `${s.name}: ${s.status}`).join(', '),
    );
    assert.equal(again.md5s, segments, `${again.md5s} MD5 requests for ${segments} segments`);
    assert.ok(
      again.lines.some((l) => l.includes('device cache confirmed by one MD5 of the flash')),
      again.lines.join('\n'),
    );

    // Another tool overwrote a sector of the last segment.
    const last = expectedSegments().reduce((a, b) => (b.offset > a.offset ? b : a));
    held!.chip.preloadFlash(last.offset + 0x1000, new Uint8Array(0x1000).fill(0x5a));
    const third = await flash();
    assert.ok(
      third.lines.some((l) => l.includes('no longer holds what ESP Flasher last wrote there')),
      third.lines.join('\n'),
    );
    assert.equal(third.result!.segments.find((s) => s.offset === last.offset)?.status, 'written');
  });
});
