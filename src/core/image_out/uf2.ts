/**
 * UF2 (Microsoft's USB flashing format, github.com/microsoft/uf2) of data runs at flash
 * addresses, laid out as esptool `merge_bin --format uf2` writes it: 512-byte blocks, each with
 * the chip's family id (flag 0x2000) and an MD5 checksum part (flag 0x4000: address, length and
 * MD5 of the payload), 452 payload bytes per block, blocks numbered per input file.
 */
import { createHash } from 'node:crypto';
import type { DataRun } from './intel_hex';

const BLOCK = 512;
const MAGIC_START0 = 0x0a324655;
const MAGIC_START1 = 0x9e5d5157;
const MAGIC_END = 0x0ab16f30;
const FLAG_FAMILY_ID = 0x00002000;
const FLAG_MD5 = 0x00004000;
const DATA_AREA = 476;
const MD5_PART = 24;
/** Payload per block: the data area less the MD5 part. */
export const UF2_PAYLOAD = DATA_AREA - MD5_PART;

export function toUf2(runs: DataRun[], familyId: number): Uint8Array {
  const sorted = runs.filter((r) => r.bytes.length > 0).sort((a, b) => a.offset - b.offset);
  const total = sorted.reduce((n, r) => n + Math.ceil(r.bytes.length / UF2_PAYLOAD), 0);
  const out = Buffer.alloc(total * BLOCK);
  let b = 0;
  for (const run of sorted) {
    const blocks = Math.ceil(run.bytes.length / UF2_PAYLOAD);
    for (let i = 0; i < blocks; i++, b++) {
      const chunk = run.bytes.subarray(i * UF2_PAYLOAD, (i + 1) * UF2_PAYLOAD);
      const addr = run.offset + i * UF2_PAYLOAD;
      const at = b * BLOCK;
      out.writeUInt32LE(MAGIC_START0, at);
      out.writeUInt32LE(MAGIC_START1, at + 4);
      out.writeUInt32LE(FLAG_FAMILY_ID | FLAG_MD5, at + 8);
      out.writeUInt32LE(addr >>> 0, at + 12);
      out.writeUInt32LE(chunk.length, at + 16);
      out.writeUInt32LE(i, at + 20);
      out.writeUInt32LE(blocks, at + 24);
      out.writeUInt32LE(familyId >>> 0, at + 28);
      out.set(chunk, at + 32);
      const md5At = at + 32 + chunk.length;
      out.writeUInt32LE(addr >>> 0, md5At);
      out.writeUInt32LE(chunk.length, md5At + 4);
      out.set(createHash('md5').update(chunk).digest(), md5At + 8);
      out.writeUInt32LE(MAGIC_END, at + BLOCK - 4);
    }
  }
  return out;
}
