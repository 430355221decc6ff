/**
 * `esp-flasher flash image.bin` of a merged image (esp-flasher merge) into a virtual chip behind
 * a real pseudo-terminal: written at 0x0 (or --offset), read back byte for byte, and a re-flash
 * with one sector changed rewrites only that sector (the changed-sector skip).
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { keyForChip } from '../../src/core/crypto/flash_crypto';
import { mergeSegments } from '../../src/core/image_out/merge_image';
import { startPtyChip, type PtyChip } from '../../src/sim/pty_chip';
import { cli } from './cli_run';
import { SHARED, corpusPresent, planFor, pseudoRandom } from './flash_helpers';

const SECTOR = 0x1000;

describe('flash of a merged image (virtual chips through a pty)', function () {
  this.timeout(120_000);
  let dir: string;
  let pty: PtyChip | undefined;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'esp-flasher-merged-'));
  });
  after(async () => {
    await pty?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The merged image of corpus 11 (via the CLI), or of a generated C3 build without ../shared. */
  async function mergedImage(): Promise<{ file: string; source: string }> {
    const file = path.join(dir, 'factory.bin');
    if (corpusPresent()) {
      const r = await cli('merge', path.join(SHARED, 'corpus', '11-esp32c3-storage'), '-o', file);
      assert.equal(r.code, 0, r.err);
      return { file, source: 'corpus 11' };
    }
    console.log('      shared corpus not present: merging a generated ESP32-C3 build instead');
    const { plan } = await planFor('esp32c3');
    const merged = mergeSegments(
      plan.segments.map((s) => ({ name: s.name, offset: s.offset, bytes: s.bytes, encrypt: false })),
      { chip: 'esp32c3', settings: plan.settings },
    );
    writeFileSync(file, merged.raw);
    return { file, source: 'generated build' };
  }

  it('writes the image at 0x0, then a re-flash with one byte changed rewrites only that 4 KiB sector', async () => {
    const { file, source } = await mergedImage();
    const image = new Uint8Array(readFileSync(file));
    pty = await startPtyChip({ chip: 'esp32c3' });
    const chip = pty.chip;

    const first = await cli('flash', '--port', pty.path, '--baud', '921600', file);
    assert.equal(first.code, 0, `${first.out}\n${first.err}`);
    assert.match(first.out, new RegExp(`Flashing image ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} at 0x0:`));
    assert.ok(Buffer.from(chip.readFlash(0, image.length)).equals(Buffer.from(image)), 'flash holds the merged image');

    // One byte in the middle of the app changes: one sector differs.
    const at = 0x10000 + 5 * SECTOR + 123;
    image[at] ^= 0x5a;
    writeFileSync(file, image);
    const before = { erased: chip.stats.sectorsErased, written: chip.stats.bytesWritten };
    const second = await cli('flash', '--port', pty.path, '--baud', '921600', file);
    assert.equal(second.code, 0, `${second.out}\n${second.err}`);
    const sectors = Math.ceil(image.length / SECTOR);
    assert.match(
      second.out,
      new RegExp(`only the changed sectors: 1 of ${sectors} sectors changed, in 0x${(at - (at % SECTOR)).toString(16)}–0x${(at - (at % SECTOR) + SECTOR).toString(16)}`),
    );
    assert.equal(chip.stats.sectorsErased - before.erased, 1, 'exactly one sector erased');
    assert.equal(chip.stats.bytesWritten - before.written, SECTOR, 'exactly one sector programmed');
    assert.ok(Buffer.from(chip.readFlash(0, image.length)).equals(Buffer.from(image)), 'flash holds the changed image');

    // The same image again: nothing to write.
    const third = await cli('flash', '--port', pty.path, '--baud', '921600', file);
    assert.equal(third.code, 0, third.err);
    assert.match(third.out, /Skipped factory at 0x00000000 \(already on flash, MD5 [0-9a-f]{32}(; device cache confirmed by one MD5 of the flash)?\)/);
    console.log(`      ${source}: ${image.length} bytes merged; re-flash with one byte changed erased 1 of ${sectors} sectors`);
  });

  it('--offset writes the image there; --offset with a build folder is a usage error', async () => {
    const file = path.join(dir, 'part.bin');
    writeFileSync(
      file,
      new Uint8Array(3 * SECTOR).map((_, i) => (i * 7) & 0xff),
    );
    pty ??= await startPtyChip({ chip: 'esp32c3' });
    const r = await cli('flash', '--port', pty.path, '--offset', '0x200000', file);
    assert.equal(r.code, 0, `${r.out}\n${r.err}`);
    assert.ok(Buffer.from(pty.chip.readFlash(0x200000, 3 * SECTOR)).equals(readFileSync(file)));
    const bad = await cli('flash', '--port', pty.path, '--offset', '0x1000', dir);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--offset places one image file/);
  });

  it('an encrypted merged image, written plain onto a virtual ESP32 whose eFuses hold that key, decrypts to the plain merge', async () => {
    const key = pseudoRandom(32, 'merged-esp32-key');
    const keyFile = path.join(dir, 'esp32-key.bin');
    writeFileSync(keyFile, key);
    const plainFile = path.join(dir, 'esp32-plain.bin');
    const encFile = path.join(dir, 'esp32-encrypted.bin');
    let regions: { offset: number; length: number }[];
    if (corpusPresent()) {
      const c01 = path.join(SHARED, 'corpus', '01-esp32-idf4.4-flashenc');
      assert.equal((await cli('merge', c01, '-o', plainFile)).code, 0);
      const r = await cli('merge', c01, '-o', encFile, '--encrypt-key', keyFile);
      assert.equal(r.code, 0, r.err);
      regions = [...r.out.matchAll(/0x([0-9a-f]{8}) +(\d+) bytes +encrypted/g)].map((m) => ({ offset: parseInt(m[1], 16), length: Number(m[2]) }));
    } else {
      const { plan } = await planFor('esp32', true);
      const segs = plan.segments.map((s) => ({ name: s.name, offset: s.offset, bytes: s.bytes, encrypt: true }));
      writeFileSync(
        plainFile,
        mergeSegments(
          segs.map((s) => ({ ...s, encrypt: false })),
          { chip: 'esp32', settings: plan.settings },
        ).raw,
      );
      const enc = mergeSegments(segs, { chip: 'esp32', settings: plan.settings, key: keyForChip(key, 'esp32') });
      writeFileSync(encFile, enc.raw);
      regions = enc.regions;
    }
    assert.equal(regions.length, 3, 'bootloader, partition table and app are encrypted');
    const esp32 = await startPtyChip({ chip: 'esp32', encryption: 'development', key });
    try {
      // Ciphertext written raw looks like plaintext to the rulebook: refused by region unless forced.
      const refused = await cli('flash', '--port', esp32.path, '--baud', '921600', encFile);
      assert.equal(refused.code, 1);
      assert.match(refused.err, /\[plaintext-in-encrypted-region\] Refusing to write segment "esp32-encrypted" at 0x0 as plaintext/);
      const r = await cli('flash', '--port', esp32.path, '--baud', '921600', '--force', encFile);
      assert.equal(r.code, 0, `${r.out}\n${r.err}`);
      const plain = new Uint8Array(readFileSync(plainFile));
      for (const g of regions) {
        const want = new Uint8Array(g.length).fill(0xff);
        want.set(plain.subarray(g.offset, Math.min(plain.length, g.offset + g.length)));
        assert.ok(Buffer.from(esp32.chip.decryptFlash(g.offset, g.length)).equals(Buffer.from(want)), `region at 0x${g.offset.toString(16)} does not decrypt to the plain merge`);
        assert.ok(!Buffer.from(esp32.chip.readFlash(g.offset, 32)).equals(Buffer.from(want.subarray(0, 32))), 'flash holds ciphertext');
      }
    } finally {
      await esp32.close();
    }
  });
});
