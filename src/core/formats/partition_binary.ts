/** Partition table binary (§7): read with its MD5 row, and write. */
import { InputError } from '../errors';
import { createHash } from 'node:crypto';
import type { PartitionRef } from '../plan/flash_plan';
import { errorProblem, warningProblem, type Problem } from '../plan/problem';
import { cString, hex, putCString, putU32, toHex, u16, u32 } from './bytes';
import { FLAG_ENCRYPTED, FLAG_READONLY, PARTITION_ENTRY_LEN, PARTITION_NAME_MAX, PARTITION_TABLE_MAX_LEN, checkPartitions, makePartition, partitionFlags } from './partition_table';

export const ENTRY_MAGIC = 0x50aa;
export const MD5_MAGIC = 0xebeb;

export interface ParsedPartitionTable {
  partitions: PartitionRef[];
  /** 'absent' for tables built without CONFIG_PARTITION_TABLE_MD5 (legacy). */
  md5: 'ok' | 'mismatch' | 'absent';
  /** Bytes up to and including the end marker (or the data's end). */
  length: number;
  problems: Problem[];
}

export function looksLikePartitionTable(b: Uint8Array): boolean {
  return b.length >= 2 && u16(b, 0) === ENTRY_MAGIC;
}

function allFF(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (b[i] !== 0xff) return false;
  return true;
}

export function parsePartitionTable(b: Uint8Array, opts: { file?: string; tableOffset?: number } = {}): ParsedPartitionTable {
  const file = opts.file ?? 'partition table';
  const problems: Problem[] = [];
  const partitions: PartitionRef[] = [];
  let md5: ParsedPartitionTable['md5'] = 'absent';
  let at = 0;
  let ended = false;
  const rowName = (i: number) => `entry ${i} (offset ${hex(i * PARTITION_ENTRY_LEN)})`;

  if (b.length === 0) {
    problems.push(errorProblem(`${file} is empty; rebuild the partition table (idf.py partition-table).`, file));
    return { partitions, md5, length: 0, problems };
  }
  while (at + PARTITION_ENTRY_LEN <= b.length) {
    const magic = u16(b, at);
    if (magic === ENTRY_MAGIC) {
      if (md5 !== 'absent') {
        problems.push(errorProblem(`${file}: entry at offset ${hex(at)} follows the MD5 row; the table is malformed.`, file));
        break;
      }
      const flags = u32(b, at + 28);
      const p = makePartition(cString(b, at + 12, PARTITION_NAME_MAX), b[at + 2], b[at + 3], u32(b, at + 4), u32(b, at + 8), flags);
      if ((flags & ~(FLAG_ENCRYPTED | FLAG_READONLY)) !== 0) {
        problems.push(
          warningProblem(
            `${file}: ${rowName(partitions.length)} (${p.label}) has unknown flag bits ${hex(flags)}; only encrypted (0x1) and readonly (0x2) are defined.`,
            file,
            `partition ${p.label}`,
          ),
        );
      }
      partitions.push(p);
    } else if (magic === MD5_MAGIC) {
      const stored = toHex(b.subarray(at + 16, at + 32));
      const computed = createHash('md5').update(b.subarray(0, at)).digest('hex');
      md5 = stored === computed ? 'ok' : 'mismatch';
      if (md5 === 'mismatch') {
        problems.push(
          errorProblem(
            `${file}: partition table MD5 mismatch at offset ${hex(at)}: stored ${stored}, computed ${computed}. ` +
              `The bootloader will reject this table; rebuild it (idf.py partition-table) instead of editing the binary.`,
            file,
            'md5',
          ),
        );
      }
    } else if (allFF(b, at, at + PARTITION_ENTRY_LEN)) {
      ended = true;
      at += PARTITION_ENTRY_LEN;
      break;
    } else {
      problems.push(
        errorProblem(
          `${file}: row at offset ${hex(at)} starts with ${hex(b[at])} ${hex(b[at + 1])}; expected AA 50 (entry), EB EB (MD5) or FF (end). ` +
            `The file is not a partition table, is encrypted, or is corrupt.`,
          file,
        ),
      );
      return { partitions, md5, length: at, problems };
    }
    at += PARTITION_ENTRY_LEN;
  }
  if (!ended && at < b.length) {
    problems.push(errorProblem(`${file}: ${b.length} bytes is not a whole number of 32-byte rows; the table is truncated.`, file));
  }
  if (at > PARTITION_TABLE_MAX_LEN) {
    problems.push(errorProblem(`${file}: the table's rows run to offset ${hex(at)}, past the ${hex(PARTITION_TABLE_MAX_LEN)}-byte limit.`, file));
  }
  if (partitions.length === 0) problems.push(errorProblem(`${file}: the table has no partitions.`, file));
  problems.push(...checkPartitions(partitions, file, rowName, opts.tableOffset));
  return { partitions, md5, length: at, problems };
}

/** A 0xC00-byte table: entries, the MD5 row (unless md5 is false), 0xFF padding. */
export function writePartitionTable(parts: PartitionRef[], opts: { md5?: boolean } = {}): Uint8Array {
  const out = new Uint8Array(PARTITION_TABLE_MAX_LEN).fill(0xff);
  let at = 0;
  for (const p of parts) {
    if (at + 2 * PARTITION_ENTRY_LEN > PARTITION_TABLE_MAX_LEN) throw new InputError(`Too many partitions for one table (${parts.length}).`);
    out[at] = 0xaa;
    out[at + 1] = 0x50;
    out[at + 2] = p.type;
    out[at + 3] = p.subtype;
    putU32(out, at + 4, p.offset);
    putU32(out, at + 8, p.size);
    putCString(out, at + 12, PARTITION_NAME_MAX, p.label);
    putU32(out, at + 28, partitionFlags(p));
    at += PARTITION_ENTRY_LEN;
  }
  if (opts.md5 ?? true) {
    out[at] = 0xeb;
    out[at + 1] = 0xeb;
    out.set(createHash('md5').update(out.subarray(0, at)).digest(), at + 16);
  }
  return out;
}
