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
  for (let at = start; at < end; ) {
    const next = Math.min(end, (Math.floor(at / unit) + 1) * unit);
    out.push({ start: at, end: next });
    at = next;
  }
  return out;
}

const md5hex = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

/**
 * Compare `expected` (what [offset, offset + expected.length) must hold) with the flash, once
 * the MD5 of the whole segment is known to differ. A segment that lies in one block is compared sector by sector straight away; when every
 * block of a larger segment differs (e.g. erased flash) it is all rewritten without asking
 * per sector.
 */
export async function findChangedSectors(md5At: FlashMd5, offset: number, expected: Uint8Array): Promise<ChangedSectors> {
  const end = offset + expected.length;
  const sectors = piecesOf(offset, end, FLASH_SECTOR);
  const blocks = piecesOf(offset, end, MD5_BLOCK);
  let md5Queries = 0;
  const differs = async (p: Piece): Promise<boolean> => {
    md5Queries++;
    const have = await md5At(p.start, p.end - p.start);
    return have !== md5hex(expected.subarray(p.start - offset, p.end - offset));
  };

  let suspect: Piece[] = blocks;
  if (blocks.length > 1) {
    suspect = [];
    for (const b of blocks) if (await differs(b)) suspect.push(b);
    if (suspect.length === blocks.length) {
      return { ranges: [{ start: offset, end }], changed: sectors.length, total: sectors.length, md5Queries, wholeSegment: true };
    }
  }
  const changed: Piece[] = [];
  for (const b of suspect) {
    const inBlock = sectors.filter((s) => s.start >= b.start && s.end <= b.end);
    const before = changed.length;
    for (const s of inBlock) if (await differs(s)) changed.push(s);
    // The block differed (or, for a one-block segment, the caller's whole-segment MD5 did) but
    // no sector does: the flash changed under us; rewrite the block.
    if (changed.length === before) changed.push(...inBlock);
  }
  const ranges: Piece[] = [];
  for (const s of changed) {
    const last = ranges[ranges.length - 1];
    if (last && last.end === s.start) last.end = s.end;
    else ranges.push({ ...s });
  }
  return { ranges, changed: changed.length, total: sectors.length, md5Queries, wholeSegment: false };
}

/** "3 of 80 sectors changed" (the segment-done detail). */
export function changedText(c: ChangedSectors): string {
  const n = `${c.changed} of ${c.total} sector${c.total === 1 ? '' : 's'} changed`;
  return c.wholeSegment ? `${n} (every 64 KiB block differed)` : n;
}
