/**
 * Intel HEX text of data runs at flash addresses, laid out as esptool `merge_bin --format hex`
 * writes it (through the intelhex package): data records of at most 16 bytes that never cross a
 * 64 KiB boundary or a gap, an extended-linear-address record (type 04) first and whenever the
 * upper 16 address bits change (only when some data lies above 0xFFFF), the end-of-file record
 * last, upper-case hex, one record per line ending in "\n".
 */
import { InputError, InternalError } from '../errors';

export interface DataRun {
  offset: number;
  bytes: Uint8Array;
}

function record(type: number, address: number, data: Uint8Array): string {
  const body = [data.length, (address >> 8) & 0xff, address & 0xff, type, ...data];
  const sum = body.reduce((a, b) => a + b, 0);
  body.push(-sum & 0xff);
  return (
    ':' +
    body
      .map((b) => b.toString(16).padStart(2, '0'))
      .join('')
      .toUpperCase() +
    '\n'
  );
}

/** Sorted, adjacent runs joined (the hex file does not know where one input ended and the next began). */
function contiguous(runs: DataRun[]): DataRun[] {
  const sorted = runs.filter((r) => r.bytes.length > 0).sort((a, b) => a.offset - b.offset);
  const out: { offset: number; parts: Uint8Array[]; end: number }[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.offset < last.end) throw new InternalError(`Internal error: data at 0x${r.offset.toString(16)} overlaps data ending at 0x${last.end.toString(16)}.`);
    if (last && last.end === r.offset) {
      last.parts.push(r.bytes);
      last.end += r.bytes.length;
    } else out.push({ offset: r.offset, parts: [r.bytes], end: r.offset + r.bytes.length });
  }
  return out.map((r) => ({ offset: r.offset, bytes: r.parts.length === 1 ? r.parts[0] : Buffer.concat(r.parts) }));
}

export function toIntelHex(runs: DataRun[]): string {
  const joined = contiguous(runs);
  const lines: string[] = [];
  const maxAddr = joined.length ? joined[joined.length - 1].offset + joined[joined.length - 1].bytes.length - 1 : 0;
  if (maxAddr > 0xffffffff) throw new InputError('Intel HEX addresses end at 0xFFFFFFFF; the data lies beyond.');
  const offsetRecords = maxAddr > 0xffff;
  let high = -1;
  for (const run of joined) {
    let at = 0;
    while (at < run.bytes.length) {
      const addr = run.offset + at;
      if (offsetRecords && addr >>> 16 !== high) {
        high = addr >>> 16;
        lines.push(record(0x04, 0, Uint8Array.of(high >> 8, high & 0xff)));
      }
      const low = addr & 0xffff;
      const n = Math.min(16, 0x10000 - low, run.bytes.length - at);
      lines.push(record(0x00, low, run.bytes.subarray(at, at + n)));
      at += n;
    }
  }
  lines.push(':00000001FF\n');
  return lines.join('');
}
