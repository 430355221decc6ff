import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import {
  blankChipShortcut,
  changedText,
  compareSegment,
  erasedMd5,
  findChangedSectors,
  NOT_ASKED,
  oneByOne,
  piecesOf,
  type FlashMd5Many,
} from '../../../src/core/flash/changed_sectors';

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

/** A flash of `size` bytes answering SPI_FLASH_MD5, with a log of the regions asked for. */
function fakeFlash(size: number) {
  const bytes = new Uint8Array(size).fill(0xff);
  const asked: [number, number][] = [];
  return {
    bytes,
    asked,
    md5At: async (addr: number, len: number) => {
      asked.push([addr, len]);
      return md5(bytes.subarray(addr, addr + len));
    },
  };
}

function pattern(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7 + (i >> 8)) & 0xff);
}

describe('changed sectors (incremental writes)', () => {
  it('cuts a range at multiples of a unit', () => {
    assert.deepEqual(piecesOf(0x10100, 0x12010, 0x1000), [
      { start: 0x10100, end: 0x11000 },
      { start: 0x11000, end: 0x12000 },
      { start: 0x12000, end: 0x12010 },
    ]);
  });

  it('one changed byte in a 300 000-byte segment: one sector, found through its 64 KiB block', async () => {
    const f = fakeFlash(0x100000);
    const expected = pattern(300_000, 1);
    f.bytes.set(expected, 0x10000);
    f.bytes[0x10000 + 150_000] ^= 0x01;
    const c = await findChangedSectors(f.md5At, 0x10000, expected);
    const sector = 0x10000 + Math.floor(150_000 / 0x1000) * 0x1000;
    assert.deepEqual(c.ranges, [{ start: sector, end: sector + 0x1000 }]);
    assert.equal(c.changed, 1);
    assert.equal(c.total, Math.ceil(300_000 / 0x1000));
    assert.equal(c.wholeSegment, false);
    // 5 blocks, then the 16 sectors of the one block that differs.
    assert.equal(c.md5Queries, 5 + 16);
    assert.equal(changedText(c), '1 of 74 sectors changed');
  });

  it('merges touching sectors into one range and keeps distant ones apart', async () => {
    const f = fakeFlash(0x100000);
    const expected = pattern(0x30000, 2);
    f.bytes.set(expected, 0x20000);
    for (const at of [0x3000, 0x4fff, 0x5000, 0x9000]) f.bytes[0x20000 + at] ^= 0xff;
    const c = await findChangedSectors(f.md5At, 0x20000, expected);
    assert.deepEqual(c.ranges, [
      { start: 0x23000, end: 0x26000 },
      { start: 0x29000, end: 0x2a000 },
    ]);
    assert.equal(c.changed, 4);
  });

  it('clips ranges to an unaligned segment and compares partial sectors only where the segment lies', async () => {
    const f = fakeFlash(0x100000);
    const expected = pattern(0x2100, 3);
    f.bytes.set(expected, 0x8100);
    f.bytes[0x8100] ^= 1; // first, partial sector
    f.bytes[0x8100 + 0x20ff] ^= 1; // last, partial sector
    const c = await findChangedSectors(f.md5At, 0x8100, expected);
    assert.deepEqual(c.ranges, [
      { start: 0x8100, end: 0x9000 },
      { start: 0xa000, end: 0xa200 },
    ]);
    assert.deepEqual(f.asked, [
      [0x8100, 0xf00],
      [0x9000, 0x1000],
      [0xa000, 0x200],
    ]);
    assert.equal(changedText(c), '2 of 3 sectors changed');
  });

  it('erased flash: every block differs, so the whole segment is written without asking per sector', async () => {
    const f = fakeFlash(0x100000);
    const expected = pattern(0x28000, 4);
    const c = await findChangedSectors(f.md5At, 0x10000, expected);
    assert.deepEqual(c.ranges, [{ start: 0x10000, end: 0x38000 }]);
    assert.equal(c.md5Queries, 3);
    assert.equal(c.wholeSegment, true);
    assert.equal(changedText(c), '40 of 40 sectors changed (every 64 KiB block differed)');
  });

  it('a block that differs while none of its sectors does is rewritten whole', async () => {
    const f = fakeFlash(0x100000);
    const expected = pattern(0x20000, 5);
    f.bytes.set(expected, 0);
    const lying = async (addr: number, len: number) => (len === 0x10000 && addr === 0x10000 ? 'not-the-md5' : f.md5At(addr, len));
    const c = await findChangedSectors(lying, 0, expected);
    assert.deepEqual(c.ranges, [{ start: 0x10000, end: 0x20000 }]);
    assert.equal(c.changed, 16);
  });

  describe('compareSegment (block-first, batched)', () => {
    /** A batch hasher that logs each batch (the loader takes a batch pipelined). */
    function batched(f: ReturnType<typeof fakeFlash>): { many: FlashMd5Many; batches: number[][] } {
      const batches: number[][] = [];
      const many: FlashMd5Many = async (regions) => {
        batches.push(regions.map((r) => r.size));
        return oneByOne(f.md5At)(regions);
      };
      return { many, batches };
    }

    it('identical: every 64 KiB block hashed once, in one batch, and nothing to write', async () => {
      const f = fakeFlash(0x200000);
      const expected = pattern(0x104000, 6);
      f.bytes.set(expected, 0x10000);
      const b = batched(f);
      const c = await compareSegment(b.many, 0x10000, expected);
      assert.equal(c.identical, true);
      assert.deepEqual(c.ranges, []);
      assert.equal(c.md5Queries, 17);
      assert.deepEqual(b.batches, [[...new Array<number>(16).fill(0x10000), 0x4000]]);
      // Every byte of the segment hashed exactly once.
      assert.equal(
        f.asked.reduce((n, [, len]) => n + len, 0),
        expected.length,
      );
    });

    it('one sector changed: blocks in one batch, then the 16 sectors of the differing block in a second', async () => {
      const f = fakeFlash(0x200000);
      const expected = pattern(0x100000, 7);
      f.bytes.set(expected, 0x10000);
      f.bytes[0x10000 + 0x80123] ^= 0x40;
      const b = batched(f);
      const c = await compareSegment(b.many, 0x10000, expected);
      assert.equal(c.identical, false);
      assert.deepEqual(c.ranges, [{ start: 0x90000, end: 0x91000 }]);
      assert.deepEqual(
        b.batches.map((x) => x.length),
        [16, 16],
      );
      assert.equal(c.md5Queries, 32);
      assert.equal(changedText(c), '1 of 256 sectors changed');
    });

    it('erased flash: one batch of block hashes, then the whole segment', async () => {
      const f = fakeFlash(0x200000);
      const c = await compareSegment(batched(f).many, 0x10000, pattern(0x30000, 8));
      assert.equal(c.wholeSegment, true);
      assert.equal(c.md5Queries, 3);
      assert.deepEqual(c.ranges, [{ start: 0x10000, end: 0x40000 }]);
    });

    it('a one-block segment that differs is compared per sector; one that matches is identical', async () => {
      const f = fakeFlash(0x100000);
      const expected = pattern(0x3000, 9);
      f.bytes.set(expected, 0x8000);
      assert.equal((await compareSegment(batched(f).many, 0x8000, expected)).identical, true);
      f.bytes[0x9000] ^= 1;
      const c = await compareSegment(batched(f).many, 0x8000, expected);
      assert.deepEqual(c.ranges, [{ start: 0x9000, end: 0xa000 }]);
      assert.equal(c.md5Queries, 1 + 3);
    });

    it('knownDifferent: a segment whose blocks all match is rewritten whole (the flash changed under us)', async () => {
      const f = fakeFlash(0x100000);
      const expected = pattern(0x20000, 10);
      f.bytes.set(expected, 0);
      const c = await compareSegment(batched(f).many, 0, expected, true);
      assert.equal(c.identical, false);
      assert.equal(c.wholeSegment, true);
      assert.deepEqual(c.ranges, [{ start: 0, end: 0x20000 }]);
    });
  });

  describe('blankChipShortcut (a blank chip gives up fast)', () => {
    it('erased flash: the first block is the only one asked, and the whole segment is written', async () => {
      const f = fakeFlash(0x200000);
      const expected = pattern(0x100000, 11);
      const c = await compareSegment(blankChipShortcut(oneByOne(f.md5At), 0x10000, expected), 0x10000, expected);
      assert.deepEqual(f.asked, [[0x10000, 0x10000]]);
      assert.equal(c.identical, false);
      assert.equal(c.wholeSegment, true);
      assert.deepEqual(c.ranges, [{ start: 0x10000, end: 0x110000 }]);
    });

    it('first block erased but later ones hold the data: written whole all the same (never skipped unasked)', async () => {
      const f = fakeFlash(0x200000);
      const expected = pattern(0x30000, 12);
      f.bytes.set(expected.subarray(0x10000), 0x20000);
      const c = await compareSegment(blankChipShortcut(oneByOne(f.md5At), 0x10000, expected), 0x10000, expected);
      assert.deepEqual(c.ranges, [{ start: 0x10000, end: 0x40000 }]);
      assert.equal(f.asked.length, 1);
    });

    it('a one-block segment on erased flash: its sectors are answered from the erased block, 0xFF sectors left alone', async () => {
      const f = fakeFlash(0x100000);
      const expected = pattern(0x4000, 13);
      expected.fill(0xff, 0x1000, 0x2000);
      const c = await compareSegment(blankChipShortcut(oneByOne(f.md5At), 0x8000, expected), 0x8000, expected);
      assert.deepEqual(f.asked, [[0x8000, 0x4000]]);
      assert.deepEqual(c.ranges, [
        { start: 0x8000, end: 0x9000 },
        { start: 0xa000, end: 0xc000 },
      ]);
    });

    it('flash that holds data at the start: every region asked as before, in the same batches after the first', async () => {
      const f = fakeFlash(0x200000);
      const expected = pattern(0x30000, 14);
      f.bytes.set(expected, 0x10000);
      f.bytes[0x10000 + 0x25000] ^= 1;
      const batches: number[] = [];
      const many: FlashMd5Many = async (regions) => {
        batches.push(regions.length);
        return oneByOne(f.md5At)(regions);
      };
      const c = await compareSegment(blankChipShortcut(many, 0x10000, expected), 0x10000, expected);
      assert.deepEqual(c.ranges, [{ start: 0x35000, end: 0x36000 }]);
      assert.deepEqual(batches, [1, 2, 16]);
    });

    it('a segment that is itself erased (all 0xFF) on erased flash is identical', async () => {
      const f = fakeFlash(0x100000);
      const expected = new Uint8Array(0x20000).fill(0xff);
      const c = await compareSegment(blankChipShortcut(oneByOne(f.md5At), 0, expected), 0, expected);
      assert.equal(c.identical, true);
      assert.notEqual(erasedMd5(0x10000), NOT_ASKED);
    });
  });
});
