/**
 * The picture behind "Show Flash Map": the flash from 0 to its size, partitions to scale,
 * what the next flash writes (and which of it encrypted), and free space. No vscode here.
 */
import { flashSizeBytes } from '../core/chips';
import type { PartitionRef, PlanSegment } from '../core/plan/flash_plan';

export interface MapRegion {
  offset: number;
  size: number;
  kind: 'partition' | 'unpartitioned';
  label: string;
  detail: string;
  /** Partition flag "encrypted". */
  encryptedFlag?: boolean;
  /** A write of the plan lands in this region. */
  written: boolean;
}

export interface MapWrite {
  name: string;
  offset: number;
  size: number;
  encrypt: boolean;
  /** The write ends beyond the flash size. */
  beyondEnd: boolean;
}

export interface FlashMap {
  flashSize: number;
  /** Where the size came from: "device", "build (4MB)", "estimated from the plan". */
  flashSizeSource: string;
  regions: MapRegion[];
  writes: MapWrite[];
  /** Bytes covered by neither a partition nor a write. */
  freeBytes: number;
  writtenBytes: number;
  encryptedBytes: number;
}

const MiB = 1024 * 1024;

function overlaps(aOff: number, aSize: number, bOff: number, bSize: number): boolean {
  return aOff < bOff + bSize && bOff < aOff + aSize;
}

export function buildFlashMap(input: {
  segments: PlanSegment[];
  partitions?: PartitionRef[];
  /** The plan's flash size setting ("4MB", "detect", "keep"). */
  sizeSetting?: string;
  deviceFlashSize?: number;
  isEncrypted: (seg: PlanSegment) => boolean;
}): FlashMap {
  const partitions = [...(input.partitions ?? [])].sort((a, b) => a.offset - b.offset);
  const writes0 = input.segments.map((s) => ({ name: s.name, offset: s.offset, size: s.bytes.length, encrypt: input.isEncrypted(s) })).sort((a, b) => a.offset - b.offset);
  const end = Math.max(0, ...partitions.map((p) => p.offset + p.size), ...writes0.map((w) => w.offset + w.size));

  let flashSize: number;
  let flashSizeSource: string;
  const fromBuild = input.sizeSetting ? flashSizeBytes(input.sizeSetting) : undefined;
  if (input.deviceFlashSize) {
    flashSize = input.deviceFlashSize;
    flashSizeSource = 'device';
  } else if (fromBuild) {
    flashSize = fromBuild;
    flashSizeSource = `build (${input.sizeSetting})`;
  } else {
    flashSize = MiB;
    while (flashSize < end) flashSize *= 2;
    flashSizeSource = 'estimated from the plan (read the device for its real size)';
  }

  const writes: MapWrite[] = writes0.map((w) => ({ ...w, beyondEnd: w.offset + w.size > flashSize }));
  const regions: MapRegion[] = [];
  let cursor = 0;
  const gap = (from: number, to: number): void => {
    if (to <= from) return;
    regions.push({
      offset: from,
      size: to - from,
      kind: 'unpartitioned',
      label: from === 0 ? 'bootloader area' : 'unpartitioned',
      detail: from === 0 ? 'second-stage bootloader and partition table' : 'not in any partition',
      written: writes.some((w) => overlaps(w.offset, w.size, from, to - from)),
    });
  };
  for (const p of partitions) {
    gap(cursor, Math.min(p.offset, flashSize));
    regions.push({
      offset: p.offset,
      size: p.size,
      kind: 'partition',
      label: p.label,
      detail: `${p.typeName}/${p.subtypeName}`,
      encryptedFlag: p.encrypted,
      written: writes.some((w) => overlaps(w.offset, w.size, p.offset, p.size)),
    });
    cursor = Math.max(cursor, p.offset + p.size);
  }
  gap(cursor, flashSize);

  // Free: bytes in [0, flashSize) under no partition and no write.
  const covered: Array<[number, number]> = [
    ...partitions.map((p) => [p.offset, p.offset + p.size] as [number, number]),
    ...writes.map((w) => [w.offset, w.offset + w.size] as [number, number]),
  ].sort((a, b) => a[0] - b[0]);
  let used = 0;
  let at = 0;
  for (const [s, e] of covered) {
    const start = Math.max(s, at);
    const stop = Math.min(e, flashSize);
    if (stop > start) used += stop - start;
    at = Math.max(at, e);
  }
  return {
    flashSize,
    flashSizeSource,
    regions,
    writes,
    freeBytes: Math.max(0, flashSize - used),
    writtenBytes: writes.reduce((n, w) => n + w.size, 0),
    encryptedBytes: writes.filter((w) => w.encrypt).reduce((n, w) => n + w.size, 0),
  };
}
