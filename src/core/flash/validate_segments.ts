/** Input checks on a write list that need no device: offsets, sizes, overlaps (the sector rules live in src/core/rules). */
import { InputError } from '../errors';
import type { WriteSegment } from './api';

const hex = (n: number) => `0x${n.toString(16)}`;

export function validateSegments(segments: WriteSegment[]): void {
  if (!segments.length) throw new InputError('Nothing to flash: the segment list is empty. Select at least one segment.');
  for (const s of segments) {
    if (!Number.isInteger(s.offset) || s.offset < 0 || s.offset > 0xffffffff) {
      throw new InputError(`Segment "${s.name}" has offset ${String(s.offset)}, which is not a flash address. Fix the offset.`, { segment: s.name });
    }
    if (!s.bytes.length) throw new InputError(`Segment "${s.name}" at ${hex(s.offset)} is empty (0 bytes). Rebuild it or leave it out.`, { segment: s.name, offset: s.offset });
  }
  const sorted = [...segments].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1];
    const b = sorted[i];
    if (a.offset + a.bytes.length > b.offset) {
      throw new InputError(
        `Segments "${a.name}" (${hex(a.offset)}–${hex(a.offset + a.bytes.length)}) and "${b.name}" (starts ${hex(b.offset)}) overlap; the later write would destroy the earlier. Fix the offsets or leave one out.`,
        { segment: b.name, offset: b.offset },
      );
    }
  }
}
