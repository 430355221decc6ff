/** Input checks on a write list that need no device: offsets, sizes, overlaps. */
import type { WriteSegment } from './api';

const hex = (n: number) => `0x${n.toString(16)}`;
const SECTOR = 0x1000;

export function validateSegments(segments: WriteSegment[]): void {
  if (!segments.length) throw new Error('Nothing to flash: the segment list is empty. Select at least one segment.');
  for (const s of segments) {
    if (!Number.isInteger(s.offset) || s.offset < 0 || s.offset > 0xffffffff) {
      throw new Error(`Segment "${s.name}" has offset ${String(s.offset)}, which is not a flash address. Fix the offset.`);
    }
    if (!s.bytes.length) throw new Error(`Segment "${s.name}" at ${hex(s.offset)} is empty (0 bytes). Rebuild it or leave it out.`);
  }
  const sorted = [...segments].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1];
    const b = sorted[i];
    if (a.offset + a.bytes.length > b.offset) {
      throw new Error(
        `Segments "${a.name}" (${hex(a.offset)}–${hex(a.offset + a.bytes.length)}) and "${b.name}" (starts ${hex(b.offset)}) overlap; the later write would destroy the earlier. Fix the offsets or leave one out.`,
      );
    }
    // Writes erase whole 4 KiB sectors (§2.3): two segments in one sector would erase each other.
    const lastSectorOfA = Math.floor((a.offset + a.bytes.length - 1) / SECTOR);
    if (lastSectorOfA === Math.floor(b.offset / SECTOR)) {
      throw new Error(
        `Segments "${a.name}" (ends ${hex(a.offset + a.bytes.length)}) and "${b.name}" (starts ${hex(b.offset)}) share the 4 KiB flash sector at ${hex(lastSectorOfA * SECTOR)}; ` +
          `writing one erases the whole sector, so the other would be damaged. Move "${b.name}" to a 4 KiB boundary, or merge the two into one file.`,
      );
    }
  }
}
