/**
 * What a fresh flash asks of the chip before its first write (issue 15): on a blank chip the
 * comparison gives up after one 64 KiB hash, and the bytes still end up on the flash — also when
 * the guess is wrong (first block erased, the rest holding data).
 */
import { strict as assert } from 'node:assert';
import { flashSegments } from '../../src/core/flash/flash_job';
import type { FlashOptions } from '../../src/core/flash/api';
import { Op } from '../../src/core/protocol/opcodes';
import type { PtyChip } from '../../src/sim/pty_chip';
import { generatedImage, ptyChipsPerTest, socatMissing } from './flash_helpers';

const KiB = 1024;

describe('fresh flash: requests before the first write (virtual chip, real serialport)', function () {
  this.timeout(60_000);
  if (socatMissing('fresh flash economy tests')) return;
  const chips = ptyChipsPerTest();

  const opts = (port: string, extra: Partial<FlashOptions> = {}): FlashOptions => ({ port, baud: 921600, before: 'no-reset', after: 'no-reset', chip: 'esp32c3', ...extra });
  const count = (p: PtyChip, op: number) => p.chip.stats.perOpcode[op] ?? 0;

  for (const loader of ['stub', 'rom'] as const) {
    it(`${loader}: a blank chip gets one SPI_FLASH_MD5 per segment to compare and one to verify`, async () => {
      const pty = await chips.start({ chip: 'esp32c3', stub: 'current' });
      const app = generatedImage('esp32c3', 400 * KiB, `fresh-${loader}`);
      const table = generatedImage('esp32c3', 3 * KiB, `fresh-table-${loader}`);
      const r = await flashSegments(
        [
          { name: 'table', offset: 0x8000, bytes: table, encrypt: 'off' },
          { name: 'app', offset: 0x10000, bytes: app, encrypt: 'off' },
        ],
        opts(pty.path, { stub: loader === 'stub' }),
      );
      assert.equal(r.ok, true, r.error);
      assert.equal(count(pty, Op.SPI_FLASH_MD5), 4);
      assert.equal(pty.chip.stats.md5Bytes, 2 * (table.length + app.length) - (app.length - 64 * KiB));
      assert.ok(Buffer.from(pty.chip.readFlash(0x10000, app.length)).equals(Buffer.from(app)));
      assert.ok(Buffer.from(pty.chip.readFlash(0x8000, table.length)).equals(Buffer.from(table)));
      assert.deepEqual(
        r.segments.map((s) => s.status),
        ['written', 'written'],
      );
    });
  }

  it('first 64 KiB erased, the rest already holding the image: the whole segment is written and verified', async () => {
    const pty = await chips.start({ chip: 'esp32c3', stub: 'current' });
    const app = generatedImage('esp32c3', 300 * KiB, 'fresh-partly');
    const stale = Uint8Array.from(app);
    stale[200 * KiB] ^= 0x55; // a byte the shortcut never asked about
    pty.chip.preloadFlash(0x10000 + 64 * KiB, stale.subarray(64 * KiB));
    const r = await flashSegments([{ name: 'app', offset: 0x10000, bytes: app, encrypt: 'off' }], opts(pty.path));
    assert.equal(r.ok, true, r.error);
    assert.equal(r.segments[0].verified, true);
    assert.ok(Buffer.from(pty.chip.readFlash(0x10000, app.length)).equals(Buffer.from(app)));
    assert.equal(count(pty, Op.SPI_FLASH_MD5), 2);
  });
});
