/**
 * What the flash job makes the chip hash: every byte about once to compare, only the rewritten
 * sectors to verify, pipelined requests that the loader answers in order — and a bad rewritten
 * sector is still caught.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { flashSegments } from '../../src/core/flash/flash_job';
import type { FlashOptions } from '../../src/core/flash/api';
import { fileDeviceCache, type DeviceCacheStore } from '../../src/core/flash/device_cache';
import type { FlashEvent } from '../../src/core/flash/events';
import { generatedImage, ptyChipsPerTest, socatMissing } from './flash_helpers';

const KiB = 1024;

describe('MD5 economy of the flash job (virtual chip, real serialport)', function () {
  this.timeout(60_000);
  if (socatMissing('md5 economy tests')) return;
  const chips = ptyChipsPerTest();

  const opts = (port: string, extra: Partial<FlashOptions> = {}): FlashOptions => ({ port, baud: 921600, before: 'no-reset', after: 'no-reset', chip: 'esp32c3', ...extra });

  for (const loader of ['stub', 'rom'] as const) {
    it(`${loader}: fresh flash hashes 64 KiB to compare (a blank chip) and the segment to verify; one sector changed hashes it once plus 64 KiB and 4 KiB; identical once`, async () => {
      const pty = await chips.start({ chip: 'esp32c3', stub: 'current' });
      const app = generatedImage('esp32c3', 300 * KiB, `economy-${loader}`);
      const size = app.length;
      const stub = loader === 'stub';
      const run = async (bytes: Uint8Array) => {
        const before = pty.chip.stats.md5Bytes;
        const r = await flashSegments([{ name: 'app', offset: 0x10000, bytes, encrypt: 'off' }], opts(pty.path, { stub }));
        assert.equal(r.ok, true, r.error);
        return { r, hashed: pty.chip.stats.md5Bytes - before };
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
    const pty = await chips.start({ chip: 'esp32c3', stub: 'current' });
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

  describe('with the device cache', () => {
    const SPI_FLASH_MD5 = 0x13;
    let dir: string;
    let store: DeviceCacheStore;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esp-flasher-cache-test-'));
      store = fileDeviceCache(dir);
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** One job through the cache: MD5 requests the chip answered, sectors written, the cache notes. */
    const flash = async (bytes: Uint8Array, extra: Partial<FlashOptions> = {}) => {
      const pty = chips.pty;
      let md5s = 0;
      let dataBlocks = 0;
      const off = pty.chip.onTrace((e) => {
        if (e.op === SPI_FLASH_MD5) md5s++;
        if (e.op === 0x03 || e.op === 0x11) dataBlocks++;
      });
      const notes: string[] = [];
      const onEvent = (e: FlashEvent) => {
        if (e.kind === 'cache') notes.push(e.message);
      };
      const r = await flashSegments([{ name: 'app', offset: 0x10000, bytes, encrypt: 'off' }], opts(pty.path, { deviceCache: store, onEvent, ...extra }));
      off();
      assert.equal(r.ok, true, r.error);
      assert.ok(Buffer.from(pty.chip.readFlash(0x10000, bytes.length)).equals(Buffer.from(bytes)), 'the flash does not hold the image');
      return { r, md5s, dataBlocks, notes };
    };
    const recordFile = () => {
      const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
      assert.equal(files.length, 1, `cache files: ${files.join(', ')}`);
      return path.join(dir, files[0]);
    };

    for (const loader of ['stub', 'rom'] as const) {
      it(`${loader}: a re-flash confirms the cache with one MD5, writes only the changed sector and verifies only it; identical: one MD5 in all`, async () => {
        await chips.start({ chip: 'esp32c3', stub: 'current' });
        const stub = loader === 'stub';
        const app = generatedImage('esp32c3', 300 * KiB, `cache-${loader}`);
        const fresh = await flash(app, { stub });
        assert.equal(fresh.notes.length, 0);
        const record = JSON.parse(fs.readFileSync(recordFile(), 'utf8')) as { regions: { offset: number; length: number }[] };
        assert.deepEqual(
          record.regions.map((g) => [g.offset, g.length]),
          [[0x10000, app.length]],
        );

        const changed = Uint8Array.from(app);
        changed[0x20010] ^= 0xff; // the sector at 0x30000 of the flash
        const one = await flash(changed, { stub });
        assert.equal(one.r.segments[0].status, 'written');
        assert.equal(one.r.segments[0].changedSectors, 1);
        assert.equal(one.md5s, 2, 'one MD5 to confirm the cache, one to verify the sector written');
        assert.deepEqual(one.notes, []);

        const same = await flash(changed, { stub });
        assert.equal(same.r.segments[0].status, 'skipped');
        assert.equal(same.md5s, 1);
        assert.equal(same.dataBlocks, 0);
      });
    }

    it('flash changed behind its back: the confirming MD5 refutes the cache, the job compares with the flash and writes what differs', async () => {
      const pty = await chips.start({ chip: 'esp32c3', stub: 'current' });
      const app = generatedImage('esp32c3', 200 * KiB, 'cache-refuted');
      await flash(app);
      // Another tool wrote the sector at 0x20000, and erased the one at 0x40000.
      pty.chip.preloadFlash(0x20000, new Uint8Array(0x1000).fill(0x11));
      pty.chip.preloadFlash(0x40000, new Uint8Array(0x1000).fill(0xff));
      const changed = Uint8Array.from(app);
      changed[0x8000] ^= 0x01; // the sector at 0x18000
      const again = await flash(changed);
      assert.equal(again.notes.length, 1);
      assert.match(again.notes[0], /no longer holds what ESP Flasher last wrote there .*comparing segment "app" with the flash/);
      assert.equal(again.r.segments[0].changedSectors, 3);
      assert.ok(again.md5s > 2, `${again.md5s} MD5 requests: the comparison with the flash ran`);
      // The cache now says what the flash holds: the next identical re-flash is one MD5.
      const same = await flash(changed);
      assert.equal(same.r.segments[0].status, 'skipped');
      assert.equal(same.md5s, 1);
    });

    it('a chip flashed with the same bytes by another tool: the refuting MD5 is the identical one, nothing written', async () => {
      const pty = await chips.start({ chip: 'esp32c3', stub: 'current' });
      const old = generatedImage('esp32c3', 100 * KiB, 'cache-other-old');
      const next = generatedImage('esp32c3', 100 * KiB, 'cache-other-new');
      await flash(old);
      pty.chip.preloadFlash(0x10000, next);
      const again = await flash(next);
      assert.equal(again.r.segments[0].status, 'skipped');
      assert.equal(again.md5s, 1);
      assert.equal(again.dataBlocks, 0);
    });

    it('an unreadable cache file is reported and ignored, the job compares with the flash and writes the file afresh', async () => {
      await chips.start({ chip: 'esp32c3', stub: 'current' });
      const app = generatedImage('esp32c3', 150 * KiB, 'cache-corrupt');
      await flash(app);
      const file = recordFile();
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').slice(0, 100));
      const changed = Uint8Array.from(app);
      changed[0x100] ^= 0x01;
      const again = await flash(changed);
      assert.equal(again.notes.length, 1);
      assert.match(again.notes[0], /The device cache .*\.json is unusable \(not JSON .*comparing with the flash instead/);
      assert.equal(again.r.segments[0].changedSectors, 1);
      assert.ok(again.md5s > 2);
      const same = await flash(changed);
      assert.deepEqual(same.notes, []);
      assert.equal(same.md5s, 1);
    });

    it('a region the cache knows but whose sectors it does not (grown segment): the new sectors are written, the known ones compared locally', async () => {
      await chips.start({ chip: 'esp32c3', stub: 'current' });
      const app = generatedImage('esp32c3', 64 * KiB, 'cache-grown');
      await flash(app);
      const grown = new Uint8Array(app.length + 8 * KiB).fill(0x33);
      grown.set(app);
      const again = await flash(grown);
      assert.equal(again.r.segments[0].status, 'written');
      // The last piece of the old image (cut at the old end) and the 2 new sectors.
      assert.equal(again.r.segments[0].changedSectors, 3);
      assert.equal(again.md5s, 2);
    });
  });
});
