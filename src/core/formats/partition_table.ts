/**
 * Partition table model shared by the binary and CSV forms (§7): type and subtype names,
 * flags, the "encrypted by default" rule and the consistency checks both forms share.
 */
import type { PartitionRef } from '../plan/flash_plan';
import { errorProblem, type Problem } from '../plan/problem';
import { hex } from './bytes';

export const PARTITION_TABLE_DEFAULT_OFFSET = 0x8000;
/** The table binary is padded to 0xC00 bytes; the rest of its 4 KiB sector is reserved. */
export const PARTITION_TABLE_MAX_LEN = 0xc00;
export const PARTITION_TABLE_SECTOR = 0x1000;
export const PARTITION_ENTRY_LEN = 32;
export const PARTITION_MAX_ENTRIES = 95;
export const PARTITION_NAME_MAX = 16;
export const FLAG_ENCRYPTED = 0x1;
export const FLAG_READONLY = 0x2;

export const TYPE = { app: 0x00, data: 0x01, bootloader: 0x02, partition_table: 0x03 } as const;

const APP_SUBTYPES: Record<string, number> = { factory: 0x00, test: 0x20, tee_0: 0x30, tee_1: 0x31 };
for (let i = 0; i < 16; i++) APP_SUBTYPES[`ota_${i}`] = 0x10 + i;

export const SUBTYPES: Record<number, Record<string, number>> = {
  [TYPE.app]: APP_SUBTYPES,
  [TYPE.data]: {
    ota: 0x00,
    phy: 0x01,
    nvs: 0x02,
    coredump: 0x03,
    nvs_keys: 0x04,
    efuse: 0x05,
    undefined: 0x06,
    esphttpd: 0x80,
    fat: 0x81,
    spiffs: 0x82,
    littlefs: 0x83,
    tee_ota: 0x90,
  },
  [TYPE.bootloader]: { primary: 0x00, ota: 0x01, recovery: 0x02 },
  [TYPE.partition_table]: { primary: 0x00, ota: 0x01 },
};

export function typeName(type: number): string {
  const hit = Object.entries(TYPE).find(([, v]) => v === type);
  return hit ? hit[0] : hex(type);
}

export function subtypeName(type: number, subtype: number): string {
  const table = SUBTYPES[type];
  const hit = table && Object.entries(table).find(([, v]) => v === subtype);
  return hit ? hit[0] : hex(subtype);
}

/** Offset alignment gen_esp32part demands: apps 64 KiB, everything else 4 KiB. */
export function offsetAlignment(type: number): number {
  return type === TYPE.app ? 0x10000 : 0x1000;
}

/**
 * §7 "Encrypted by default": with flash encryption on, the bootloader, the partition table,
 * every app partition, otadata, nvs_keys, TEE otadata and anything flagged `encrypted`.
 * NVS, SPIFFS, FAT, … are not (unless flagged).
 */
export function encryptedByDefault(p: { type: number; subtype: number; encrypted: boolean }): boolean {
  if (p.encrypted) return true;
  if (p.type === TYPE.app || p.type === TYPE.bootloader || p.type === TYPE.partition_table) return true;
  if (p.type === TYPE.data) return p.subtype === 0x00 || p.subtype === 0x04 || p.subtype === 0x90;
  return false;
}

export function makePartition(label: string, type: number, subtype: number, offset: number, size: number, flags: number): PartitionRef {
  const p: PartitionRef = {
    label,
    type,
    subtype,
    typeName: typeName(type),
    subtypeName: subtypeName(type, subtype),
    offset,
    size,
    encrypted: (flags & FLAG_ENCRYPTED) !== 0,
    readonly: (flags & FLAG_READONLY) !== 0,
    encryptByDefault: false,
  };
  p.encryptByDefault = encryptedByDefault(p);
  return p;
}

export function partitionFlags(p: PartitionRef): number {
  return (p.encrypted ? FLAG_ENCRYPTED : 0) | (p.readonly ? FLAG_READONLY : 0);
}

/** The partition that holds `offset`, if any. */
export function partitionAt(parts: PartitionRef[], offset: number): PartitionRef | undefined {
  return parts.find((p) => offset >= p.offset && offset < p.offset + p.size);
}

/** The partition an app is written to by default: factory, else the first app partition. */
export function defaultAppPartition(parts: PartitionRef[]): PartitionRef | undefined {
  return (
    parts.find((p) => p.type === TYPE.app && p.subtype === 0x00) ??
    parts.find((p) => p.type === TYPE.app && p.subtype >= 0x10 && p.subtype <= 0x1f) ??
    parts.find((p) => p.type === TYPE.app)
  );
}

/**
 * Checks shared by both forms: names, alignment, sizes, overlaps (with each other and with
 * the table's own sector when its offset is known). `where(i)` names row i for messages.
 */
export function checkPartitions(parts: PartitionRef[], file: string, where: (i: number) => string, tableOffset?: number): Problem[] {
  const problems: Problem[] = [];
  const seen = new Map<string, number>();
  parts.forEach((p, i) => {
    const field = `partition ${p.label}`;
    if (p.label.length === 0) problems.push(errorProblem(`${file}: ${where(i)} has an empty name; give every partition a name.`, file, field));
    if (Buffer.byteLength(p.label) > PARTITION_NAME_MAX) {
      problems.push(errorProblem(`${file}: ${where(i)} name "${p.label}" is longer than ${PARTITION_NAME_MAX} bytes.`, file, field));
    }
    const prev = seen.get(p.label);
    if (prev !== undefined) problems.push(errorProblem(`${file}: ${where(i)} reuses the name "${p.label}" of ${where(prev)}; names must be unique.`, file, field));
    seen.set(p.label, i);
    if (p.size === 0) problems.push(errorProblem(`${file}: ${where(i)} (${p.label}) has size 0.`, file, field));
    const align = offsetAlignment(p.type);
    if (p.type !== TYPE.bootloader && p.type !== TYPE.partition_table && p.offset % align !== 0) {
      problems.push(errorProblem(`${file}: ${where(i)} (${p.label}) offset ${hex(p.offset)} is not aligned to ${hex(align)} (${p.typeName} partitions must be).`, file, field));
    }
    if (p.type === TYPE.app && p.size % 0x1000 !== 0) {
      problems.push(errorProblem(`${file}: ${where(i)} (${p.label}) app size ${hex(p.size)} is not a multiple of 0x1000.`, file, field));
    }
    if (p.offset + p.size > 0x100000000) problems.push(errorProblem(`${file}: ${where(i)} (${p.label}) ends beyond 4 GiB.`, file, field));
    if (tableOffset !== undefined && p.type !== TYPE.partition_table && p.type !== TYPE.bootloader) {
      const tEnd = tableOffset + PARTITION_TABLE_SECTOR;
      if (p.offset < tEnd && p.offset + p.size > tableOffset) {
        problems.push(
          errorProblem(
            `${file}: ${where(i)} (${p.label}, ${hex(p.offset)}–${hex(p.offset + p.size)}) overlaps the partition table's own sector ${hex(tableOffset)}–${hex(tEnd)}.`,
            file,
            field,
          ),
        );
      }
    }
  });
  const order = parts.map((p, i) => ({ p, i })).sort((a, b) => a.p.offset - b.p.offset);
  for (let k = 1; k < order.length; k++) {
    const a = order[k - 1];
    const b = order[k];
    if (a.p.type === TYPE.bootloader || a.p.type === TYPE.partition_table || b.p.type === TYPE.bootloader || b.p.type === TYPE.partition_table) continue;
    if (a.p.offset + a.p.size > b.p.offset) {
      problems.push(
        errorProblem(
          `${file}: ${where(b.i)} (${b.p.label} at ${hex(b.p.offset)}) overlaps ${where(a.i)} (${a.p.label}, ${hex(a.p.offset)}–${hex(a.p.offset + a.p.size)}). ` +
            `Move one of them or shrink ${a.p.label}.`,
          file,
          `partition ${b.p.label}`,
        ),
      );
    }
  }
  if (parts.length > PARTITION_MAX_ENTRIES) {
    problems.push(errorProblem(`${file}: ${parts.length} partitions; a table holds at most ${PARTITION_MAX_ENTRIES} (with the MD5 row).`, file));
  }
  return problems;
}
