/** In-process `esp-flasher` runs and small decoders for the image-file tests. */
import { createHash } from 'node:crypto';

// The in-process CLI runner the device tests use.
export { cli, type CliRun } from '../../device/cli_run';

/** A test's own Intel HEX reader (types 00, 01, 04 only): address → byte. */
export function readIntelHex(text: string): Map<number, number> {
  const mem = new Map<number, number>();
  let high = 0;
  let ended = false;
  for (const line of text.split('\n').filter((l) => l.length)) {
    if (ended) throw new Error('data after the end-of-file record');
    if (!/^:[0-9A-F]+$/.test(line)) throw new Error(`not a record: ${line}`);
    const b = Buffer.from(line.slice(1), 'hex');
    if (b.reduce((a, x) => a + x, 0) & 0xff) throw new Error(`bad checksum: ${line}`);
    const n = b[0];
    const addr = (b[1] << 8) | b[2];
    const type = b[3];
    if (b.length !== n + 5) throw new Error(`bad length: ${line}`);
    if (type === 0) for (let i = 0; i < n; i++) mem.set(high + addr + i, b[4 + i]);
    else if (type === 4) high = ((b[4] << 8) | b[5]) * 0x10000;
    else if (type === 1) ended = true;
    else throw new Error(`unexpected record type ${type}`);
  }
  if (!ended) throw new Error('no end-of-file record');
  return mem;
}

export interface Uf2Block {
  flags: number;
  addr: number;
  size: number;
  blockNo: number;
  blocks: number;
  family: number;
  data: Buffer;
  md5ok: boolean;
}

/** A test's own UF2 reader. */
export function readUf2(file: Uint8Array): Uf2Block[] {
  const b = Buffer.from(file);
  if (b.length % 512) throw new Error('UF2 length is not a multiple of 512');
  const out: Uf2Block[] = [];
  for (let at = 0; at < b.length; at += 512) {
    if (b.readUInt32LE(at) !== 0x0a324655 || b.readUInt32LE(at + 4) !== 0x9e5d5157 || b.readUInt32LE(at + 508) !== 0x0ab16f30) throw new Error(`bad magic in block at ${at}`);
    const size = b.readUInt32LE(at + 16);
    const data = b.subarray(at + 32, at + 32 + size);
    const md5At = at + 32 + size;
    const md5ok =
      b.readUInt32LE(md5At) === b.readUInt32LE(at + 12) && b.readUInt32LE(md5At + 4) === size && b.subarray(md5At + 8, md5At + 24).equals(createHash('md5').update(data).digest());
    out.push({
      flags: b.readUInt32LE(at + 8),
      addr: b.readUInt32LE(at + 12),
      size,
      blockNo: b.readUInt32LE(at + 20),
      blocks: b.readUInt32LE(at + 24),
      family: b.readUInt32LE(at + 28),
      data,
      md5ok,
    });
  }
  return out;
}

export const sha256 = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();
