/**
 * Which 4 KiB sectors of a segment differ from what the flash holds, found with SPI_FLASH_MD5
 * alone (no data read back): first per 64 KiB block, then per sector inside the blocks that
 * differ — few round trips when little changed. The result lists the changed ranges, merged
 * where they touch, clipped to the segment, so each can be written as its own
 * BEGIN/DATA/END run whose erase covers exactly those sectors.
 */
import { createHash } from 'node:crypto';
import { FLASH_SECTOR } from '../protocol/opcodes';

export const MD5_BLOCK = 0x10000;

/** MD5 (lower-case hex) of `size` flash bytes at `addr`, as the loader computes it. */
export type FlashMd5 = (addr: number, size: number) => Promise<string>;

export interface ChangedSectors {
  /** Changed ranges [start, end) inside the segment, ascending, not touching each other. */
  ranges: { start: number; end: number }[];
  /** Sectors (4 KiB, counted where the segment touches them) that must be written, and in all. */
  changed: number;
  total: number;
  /** SPI_FLASH_MD5 commands spent on the comparison. */
  md5Queries: number;
  /** Every 64 KiB block differed, so the sectors were not compared one by one. */
  wholeSegment: boolean;
}

interface Piece {
  start: number;
  end: number;
}

/** [start, end) cut at multiples of `unit`. */
export function piecesOf(start: number, end: number, unit: number): Piece[] {
  const out: Piece[] = [];
  for (let at = start; at < end;) {
    const next = Math.min(end, (Math.floor(at / unit) + 1) * unit);
    out.push({ start: at, end: next });
    at = next;
  }
  return out;
}

const md5hex = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

/** MD5s (lower-case hex) of several regions, in order (one batch; see LoaderSession.flashMd5Many). */
export type FlashMd5Many = (regions: { addr: number; size: number }[]) => Promise<string[]>;

export interface SegmentComparison extends ChangedSectors {
  /** The flash already holds the whole segment. */
  identical: boolean;
}

/** One request at a time through a single-region hasher. */
export function oneByOne(md5At: FlashMd5): FlashMd5Many {
  return async (regions) => {
    const out: string[] = [];
    for (const r of regions) out.push(await md5At(r.addr, r.size));
    return out;
  };
}

/**
 * Compare `expected` (what [offset, offset + expected.length) must hold) with the flash, with
 * SPI_FLASH_MD5 alone and every byte hashed about once: the 64 KiB blocks first (a batch the
 * hasher gets at once), then the 4 KiB sectors of the blocks that differ (one more
 * batch). No block differs: identical. Every block of a larger segment differs (e.g. erased
 * flash): all of it is rewritten without asking per sector. A one-block segment is compared
 * sector by sector once its block differs.
 * `knownDifferent`: the caller already knows the segment differs (a whole-segment MD5): then a
 * block or segment that nevertheless matches everywhere is rewritten — the flash changed under us.
 */
export async function compareSegment(md5Many: FlashMd5Many, offset: number, expected: Uint8Array, knownDifferent = false): Promise<SegmentComparison> {
  const end = offset + expected.length;
  const sectors = piecesOf(offset, end, FLASH_SECTOR);
  const blocks = piecesOf(offset, end, MD5_BLOCK);
  let md5Queries = 0;
  const differing = async (pieces: Piece[]): Promise<Piece[]> => {
    if (!pieces.length) return [];
    md5Queries += pieces.length;
    const have = await md5Many(pieces.map((p) => ({ addr: p.start, size: p.end - p.start })));
    return pieces.filter((p, i) => have[i] !== md5hex(expected.subarray(p.start - offset, p.end - offset)));
  };
  const whole = (): SegmentComparison => ({ identical: false, ranges: [{ start: offset, end }], changed: sectors.length, total: sectors.length, md5Queries, wholeSegment: true });

  let suspect = knownDifferent && blocks.length === 1 ? blocks : await differing(blocks);
  if (suspect.length === 0) {
    if (!knownDifferent) return { identical: true, ranges: [], changed: 0, total: sectors.length, md5Queries, wholeSegment: false };
    suspect = blocks.length === 1 ? blocks : [];
    if (!suspect.length) return whole();
  }
  if (blocks.length > 1 && suspect.length === blocks.length) return whole();
  const inSuspect = sectors.filter((s) => suspect.some((b) => s.start >= b.start && s.end <= b.end));
  const bad = new Set(await differing(inSuspect));
  const changed: Piece[] = [];
  for (const b of suspect) {
    const inBlock = inSuspect.filter((s) => s.start >= b.start && s.end <= b.end);
    const found = inBlock.filter((s) => bad.has(s));
    // The block differed but no sector does: the flash changed under us; rewrite the block.
    changed.push(...(found.length ? found : inBlock));
  }
  changed.sort((a, b) => a.start - b.start);
  const ranges: Piece[] = [];
  for (const s of changed) {
    const last = ranges[ranges.length - 1];
    if (last && last.end === s.start) last.end = s.end;
    else ranges.push({ ...s });
  }
  return { identical: false, ranges, changed: changed.length, total: sectors.length, md5Queries, wholeSegment: false };
}

/**
 * Compare `expected` with the flash once the MD5 of the whole segment is known to differ, one
 * request at a time (compareSegment with `knownDifferent`).
 */
export async function findChangedSectors(md5At: FlashMd5, offset: number, expected: Uint8Array): Promise<ChangedSectors> {
  const { identical: _identical, ...c } = await compareSegment(oneByOne(md5At), offset, expected, true);
  return c;
}

/** "3 of 80 sectors changed" (the segment-done detail). */
export function changedText(c: ChangedSectors): string {
  const n = `${c.changed} of ${c.total} sector${c.total === 1 ? '' : 's'} changed`;
  return c.wholeSegment ? `${n} (every 64 KiB block differed)` : n;
}

const erasedMd5s = new Map<number, string>();

/** MD5 (lower-case hex) of `size` erased flash bytes (all 0xFF). */
export function erasedMd5(size: number): string {
  let h = erasedMd5s.get(size);
  if (!h) {
    h = md5hex(new Uint8Array(size).fill(0xff));
    erasedMd5s.set(size, h);
  }
  return h;
}

/** What the shortcut answers for a region it did not ask about: equal to no MD5. */
export const NOT_ASKED = 'not asked: the flash at the start of the segment reads erased';

/**
 * A blank chip gives up fast: the first region asked (the segment's first 64 KiB block) goes
 * alone, and when the flash there reads erased (all 0xFF) while the segment wants data, the
 * chip is taken as blank from there on — nothing further is asked. Regions inside that erased
 * block are answered as erased (exact: it was hashed); every later region as NOT_ASKED, so it is
 * written (and then verified) whatever it holds — a wrong guess costs write time, never a byte.
 * Anything else goes to `many` unchanged, in the same batches after the first region.
 */
export function blankChipShortcut(many: FlashMd5Many, offset: number, expected: Uint8Array): FlashMd5Many {
  let probed = false;
  let erased: Piece | undefined;
  const local = (r: { addr: number; size: number }): string => (erased && r.addr >= erased.start && r.addr + r.size <= erased.end ? erasedMd5(r.size) : NOT_ASKED);
  return async (regions) => {
    if (erased) return regions.map(local);
    if (probed || !regions.length) return many(regions);
    probed = true;
    const [first, ...rest] = regions;
    const [have] = await many([first]);
    const want = expected.subarray(first.addr - offset, first.addr - offset + first.size);
    if (have === erasedMd5(first.size) && md5hex(want) !== have) {
      erased = { start: first.addr, end: first.addr + first.size };
      return [have, ...rest.map(local)];
    }
    return rest.length ? [have, ...(await many(rest))] : [have];
  };
}
