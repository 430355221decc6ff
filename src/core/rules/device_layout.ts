/**
 * The partition layout the encrypted-region rule judges a flash job by: the plan's table, else a
 * table among the segments being written, else the device's own table read back (decrypted
 * with the host key when one is given). Read back only when a plaintext write on an
 * encryption-enabled device needs judging.
 */
import { decryptFlashData, type FlashKey } from '../crypto/flash_crypto';
import { looksLikePartitionTable, parsePartitionTable } from '../formats/partition_binary';
import type { PartitionRef } from '../plan/flash_plan';
import type { WriteSegment } from '../flash/api';
import { DEFAULT_PARTITION_TABLE_OFFSET, type FlashLayout } from './encrypted_regions';
import { hex } from './rule_finding';

const TABLE_BYTES = 0xc00;

function tableOf(bytes: Uint8Array, offset: number): PartitionRef[] | undefined {
  if (!looksLikePartitionTable(bytes)) return undefined;
  const t = parsePartitionTable(bytes, { tableOffset: offset });
  return t.partitions.length && !t.problems.some((p) => p.severity === 'error') ? t.partitions : undefined;
}

/** The layout known without the device (the plan's table, or a table segment of the job). */
export function layoutWithoutDevice(segments: WriteSegment[], partitions?: PartitionRef[], tableOffset?: number): FlashLayout | undefined {
  if (partitions?.length) return { partitions, tableOffset: tableOffset ?? DEFAULT_PARTITION_TABLE_OFFSET, source: "the plan's partition table" };
  for (const s of segments) {
    const parts = tableOf(s.bytes, s.offset); // plaintext bytes whatever the write mode (encryption happens later)
    if (parts) return { partitions: parts, tableOffset: s.offset, source: `the partition table written at ${hex(s.offset)}` };
  }
  return undefined;
}

/** Read the device's table at `tableOffset` (plain, or decrypted with `key`). */
export async function layoutFromDevice(
  read: (offset: number, length: number) => Promise<Uint8Array>,
  key: FlashKey | undefined,
  tableOffset = DEFAULT_PARTITION_TABLE_OFFSET,
): Promise<FlashLayout> {
  const source = `the device's partition table at ${hex(tableOffset)}`;
  let raw: Uint8Array;
  try {
    raw = await read(tableOffset, TABLE_BYTES);
  } catch (e) {
    return { tableOffset, source, unknownWhy: `the device's partition table could not be read: ${(e as Error).message}` };
  }
  const plain = tableOf(raw, tableOffset);
  if (plain) return { partitions: plain, tableOffset, source };
  if (key) {
    try {
      const dec = tableOf(decryptFlashData(key, tableOffset, raw), tableOffset);
      if (dec) return { partitions: dec, tableOffset, source: `${source} (decrypted with the host key)` };
    } catch {
      // fall through: unknown
    }
  }
  const blank = raw.every((b) => b === 0xff);
  return {
    tableOffset,
    source,
    unknownWhy: blank
      ? `the device has no partition table at ${hex(tableOffset)} (blank flash)`
      : `the device's partition table at ${hex(tableOffset)} is encrypted or damaged and no key was given to read it`,
  };
}
