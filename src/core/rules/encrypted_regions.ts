/**
 * Which flash regions an encryption-enabled chip reads through its decryption engine: the
 * bootloader area, the partition-table sector, every app partition, otadata, nvs_keys and any
 * partition flagged `encrypted` (§7 "Encrypted by default"). Judged by WHERE data goes, from a
 * partition table (the plan's, else the device's own), never by what the bytes look like.
 */
import type { ChipFacts } from '../chips';
import type { PartitionRef } from '../plan/flash_plan';
import { hex } from './rule_finding';

export const DEFAULT_PARTITION_TABLE_OFFSET = 0x8000;
export const PARTITION_TABLE_SECTOR = 0x1000;

/** The partition layout the region rule judges by, and where it came from. */
export interface FlashLayout {
  /** The partitions, when a table is known (from the plan or read back from the device). */
  partitions?: PartitionRef[];
  tableOffset: number;
  /** "the plan's partition table", "the device's partition table at 0x8000", … */
  source: string;
  /** Why no table is known (blank flash, encrypted table, not read). */
  unknownWhy?: string;
}

export interface RegionVerdict {
  /** true: the chip reads this region encrypted; false: plaintext there is fine; 'unknown': no table says. */
  encrypted: boolean | 'unknown';
  /** Names the region ("the bootloader area 0x0–0x8000", "app partition factory", …). */
  what: string;
}

/** Is [offset, offset+length) (partly) in a region the chip reads encrypted? */
export function regionOf(offset: number, length: number, chip: ChipFacts, layout: FlashLayout): RegionVerdict {
  const end = offset + Math.max(1, length);
  const t = layout.tableOffset;
  if (offset < t && end > chip.bootloaderOffset) return { encrypted: true, what: `the bootloader area ${hex(chip.bootloaderOffset)}–${hex(t)}` };
  if (offset < t + PARTITION_TABLE_SECTOR && end > t) return { encrypted: true, what: `the partition-table sector ${hex(t)}–${hex(t + PARTITION_TABLE_SECTOR)}` };
  if (!layout.partitions) return { encrypted: 'unknown', what: `flash at ${hex(offset)}, where no partition table says what lies (${layout.unknownWhy ?? 'no table known'})` };
  const hits = layout.partitions.filter((p) => offset < p.offset + p.size && end > p.offset);
  const enc = hits.find((p) => p.encryptByDefault || p.encrypted);
  if (enc) {
    const why = enc.encrypted ? 'flagged encrypted' : `${enc.typeName}/${enc.subtypeName}, encrypted by default`;
    return { encrypted: true, what: `partition ${enc.label} (${why}, ${hex(enc.offset)}–${hex(enc.offset + enc.size)}) per ${layout.source}` };
  }
  if (hits.length) return { encrypted: false, what: `partition ${hits[0].label} (${hits[0].typeName}/${hits[0].subtypeName})` };
  return { encrypted: false, what: `flash at ${hex(offset)}, outside every partition of ${layout.source}` };
}
