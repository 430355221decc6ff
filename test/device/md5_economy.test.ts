/**
 * What the flash job makes the chip hash: every byte about once to compare, only the rewritten
 * sectors to verify, pipelined requests that the loader answers in order — and a bad rewritten
 * sector is still caught.
 */
import { strict as assert } from 'node:assert';
import { flashSegments } from '../../src/core/flash/flash_job';
import type { FlashOptions } from '../../src/core/flash/api';
import { startPtyChip, type PtyChip } from '../../src/sim/pty_chip';
import { socatInstalled } from '../unit/sim/serialport_test_transport';
import { generatedImage } from './flash_helpers';

const KiB = 1024;

describe('MD5 economy of the flash job (virtual chip, real serialport)', function () {
  this.timeout(60_000);
  if (!socatInstalled()) {
    it('socat not installed: skipped', () => console.log('      socat not installed: md5 economy tests skipped'));
    return;
  }
  let pty: PtyChip | undefined;
  afterEach(async () => {
    await pty?.close();
    pty = undefined;
  });

  const opts = (port: string, extra: Partial<FlashOptions> = {}): FlashOptions => ({ port, baud: 921600, before: 'no-reset', after: 'no-reset', chip: 'esp32c3', ...extra });

  for (const loader of ['stub', 'rom'] as const) {
    it(`${loader}: fresh flash hashes 64 KiB to compare (a blank chip) and the segment to verify; one sector changed hashes it once plus 64 KiB and 4 KiB; identical once`, async () => {
      pty = await startPtyChip({ chip: 'esp32c3', stub: 'current' });
      const app = generatedImage('esp32c3', 300 * KiB, `economy-${loader}`);
      const size = app.length;
      const stub = loader === 'stub';
      const run = async (bytes: Uint8Array) => {
        const before = pty!.chip.stats.md5Bytes;
        const r = await flashSegments([{ name: 'app', offset: 0x10000, bytes, encrypt: 'off' }], opts(pty!.path, { stub }));
        assert.equal(r.ok, true, r.error);
        return { r, hashed: pty!.chip.stats.md5Bytes - before };
      };
      const fresh = await run(app);
      assert.equal(fresh.hashed, 64 * KiB + size);
      const changed = Uint8Array.from(app);
      changed[0x20010] ^= 0xff; // in the sector at 0x30000 of the flash
      const one = await run(changed);
      assert.equal(one.r.segments[0].changedSectors, 1);
      assert.equal(one.hashed, size + 64 * KiB + 4 * KiB);
      assert.ok(Buffer.from(pty.chip.readFlash(0x10000, size)).equals(Buffer.from(changed)));
      const same = await run(changed);
      assert.equal(same.r.segments[0].status, 'skipped');
      assert.equal(same.hashed, size);
    });
  }

  it('verify of the rewritten sectors still catches a sector the flash did not take', async () => {
    pty = await startPtyChip({ chip: 'esp32c3', stub: 'current' });
    const app = generatedImage('esp32c3', 200 * KiB, 'economy-bad');
    const r1 = await flashSegments([{ name: 'app', offset: 0x10000, bytes: app, encrypt: 'off' }], opts(pty.path));
    assert.equal(r1.ok, true, r1.error);
    const changed = Uint8Array.from(app);
    changed[0x8000] ^= 0x01;
    // The chip garbles what it programs at 0x18000 (a flash that does not take the write).
    const chip = pty.chip;
    const off = chip.onTrace((e) => {
      if (e.op === 0x12 || e.op === 0x04) chip.preloadFlash(0x18000, new Uint8Array(16).fill(0));
    });
    const r2 = await flashSegments([{ name: 'app', offset: 0x10000, bytes: changed, encrypt: 'off' }], opts(pty.path));
    off();
    assert.equal(r2.ok, false);
    assert.match(r2.error ?? '', /Verification failed for segment "app" at 0x18000: .* for the rewritten range 0x18000–0x19000/);
  });
});
