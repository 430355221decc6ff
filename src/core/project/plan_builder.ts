/**
 * Turns a reader's list of (name, offset, file, encrypt mark) into PlanSegments: loads the
 * bytes, finds the partition table and the partition each segment lands in, reads image
 * headers, and settles each segment's default encrypt state and where it came from.
 */
import { readFile } from 'node:fs/promises';
import { chipFacts, type ChipName } from '../chips';
import { looksLikeImage, parseImage } from '../formats/image_parse';
import { looksLikePartitionTable, parsePartitionTable } from '../formats/partition_binary';
import { PARTITION_TABLE_DEFAULT_OFFSET, TYPE, encryptedByDefault, partitionAt } from '../formats/partition_table';
import type { FlashEncryptionMode, FlashPlan, PartitionRef, PlanSegment, SegmentRole } from '../plan/flash_plan';

export interface DraftSegment {
  name: string;
  offset: number;
  /** Absolute path. */
  file: string;
  origin: string;
  /** The offset as the user typed it (offset/file pairs). */
  offsetText?: string;
  /** The build's own mark, when it has one. */
  encryptMark?: { value: boolean; source: string };
  role?: SegmentRole;
  /** Bytes already in memory (ELF → image, generated tables). */
  bytes?: Uint8Array;
}

export interface BuildContext {
  chip?: ChipName;
  tableOffset?: number;
  flashEncryption?: FlashEncryptionMode;
}

export const EMPTY = new Uint8Array(0);

/** Reads a file; a missing or unreadable file gives empty bytes (checkPlan reports it). */
export async function readBytes(file: string): Promise<Uint8Array | undefined> {
  try {
    const b = await readFile(file);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch {
    return undefined;
  }
}

function roleOf(d: DraftSegment, bytes: Uint8Array, part: PartitionRef | undefined, ctx: BuildContext, tableOffset: number): SegmentRole {
  if (d.role) return d.role;
  const n = d.name.toLowerCase();
  if (n === 'bootloader' || (ctx.chip && d.offset === chipFacts(ctx.chip).bootloaderOffset && looksLikeImage(bytes) && !part)) return 'bootloader';
  if (n === 'partition-table' || n === 'partition_table' || n === 'partitions' || (d.offset === tableOffset && looksLikePartitionTable(bytes))) {
    return 'partition-table';
  }
  if (part?.type === TYPE.app || n === 'app' || n === 'firmware') return 'app';
  if ((part?.type === TYPE.data && part.subtype === 0x00) || n === 'otadata' || n === 'boot_app0') return 'otadata';
  return 'data';
}

function defaultEncrypt(role: SegmentRole, part: PartitionRef | undefined): { value: boolean; reason: string } {
  if (role === 'bootloader') return { value: true, reason: 'the bootloader is always encrypted when flash encryption is on' };
  if (role === 'partition-table') return { value: true, reason: 'the partition table is always encrypted when flash encryption is on' };
  if (!part) return { value: false, reason: 'it lies in no partition' };
  const value = encryptedByDefault(part);
  const what = `partition ${part.label} (${part.typeName}/${part.subtypeName}${part.encrypted ? ', flag encrypted' : ''})`;
  return { value, reason: value ? `${what} is encrypted by default` : `${what} is not encrypted by default` };
}

function decideEncrypt(d: DraftSegment, role: SegmentRole, part: PartitionRef | undefined, fe: FlashEncryptionMode | undefined): { encrypt: boolean; encryptSource: string } {
  const def = defaultEncrypt(role, part);
  if (fe === 'release') {
    return {
      encrypt: def.value,
      encryptSource:
        `flash encryption release mode: ${def.reason}` + (def.value ? ' — write it pre-encrypted with the host key (the chip refuses UART encryption in release mode)' : ''),
    };
  }
  if (d.encryptMark) return { encrypt: d.encryptMark.value, encryptSource: d.encryptMark.source };
  if (fe === 'development') return { encrypt: def.value, encryptSource: `flash encryption development mode (sdkconfig): ${def.reason}` };
  if (fe === 'off') return { encrypt: false, encryptSource: 'flash encryption is off (sdkconfig)' };
  return { encrypt: false, encryptSource: 'the build has no encrypted mark and its flash-encryption mode is unknown' };
}

/** Parses the plan's partition table segment, if there is one. */
export function findPartitionTable(
  segs: { name: string; offset: number; bytes: Uint8Array; role?: SegmentRole }[],
  tableOffset: number,
): { seg?: (typeof segs)[number]; partitions?: PartitionRef[] } {
  const seg =
    segs.find((s) => s.role === 'partition-table') ??
    segs.find((s) => /^partition[-_]table$|^partitions$/i.test(s.name) && looksLikePartitionTable(s.bytes)) ??
    segs.find((s) => s.offset === tableOffset && looksLikePartitionTable(s.bytes));
  if (!seg || !looksLikePartitionTable(seg.bytes)) return { seg };
  return { seg, partitions: parsePartitionTable(seg.bytes, { tableOffset: seg.offset }).partitions };
}

export async function buildSegments(drafts: DraftSegment[], ctx: BuildContext): Promise<{ segments: PlanSegment[]; partitions?: PartitionRef[]; tableOffset?: number }> {
  const loaded = await Promise.all(drafts.map(async (d) => ({ d, bytes: d.bytes ?? (await readBytes(d.file)) ?? EMPTY })));
  const tableOffset = ctx.tableOffset ?? PARTITION_TABLE_DEFAULT_OFFSET;
  const table = findPartitionTable(
    loaded.map(({ d, bytes }) => ({ name: d.name, offset: d.offset, bytes, role: d.role })),
    tableOffset,
  );
  const partitions = table.partitions;
  const segments = loaded.map(({ d, bytes }) => {
    const part = partitions ? partitionAt(partitions, d.offset) : undefined;
    const role = table.seg && table.seg.offset === d.offset && table.seg.name === d.name ? 'partition-table' : roleOf(d, bytes, part, ctx, tableOffset);
    const seg: PlanSegment = { name: d.name, offset: d.offset, bytes, file: d.file, encrypt: false, role, origin: d.origin };
    if (d.offsetText !== undefined) seg.offsetText = d.offsetText;
    if (part) seg.partition = part;
    if (role !== 'partition-table' && looksLikeImage(bytes)) {
      const parsed = parseImage(bytes, { chip: ctx.chip, file: d.file, field: `segment ${d.name}` });
      if (parsed.info && (role === 'app' || role === 'bootloader' || parsed.problems.every((p) => p.severity !== 'error'))) seg.image = parsed.info;
    }
    Object.assign(seg, decideEncrypt(d, role, part, ctx.flashEncryption));
    return seg;
  });
  segments.sort((a, b) => a.offset - b.offset);
  return { segments, partitions, tableOffset: table.seg?.offset };
}

export function emptyPlan(source?: string): FlashPlan {
  return { settings: { mode: 'keep', size: 'keep', freq: 'keep' }, segments: [], source };
}
