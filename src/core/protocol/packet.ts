/** Request and response packets (esp-serial-protocol.md §1.2–§1.4). */
import { InternalError } from '../errors';

/**
 * XOR checksum seeded with 0xEF (§1.4); also the image checksum (§6.1), chained through `seed`.
 * The aligned middle goes four bytes at a time through a Uint32Array view, the four lanes folded
 * at the end: a megabyte app is checked before the port opens, and byte by byte that loop alone
 * took about 10 ms there, mostly before V8 optimised it.
 */
export function xorChecksum(data: Uint8Array, seed = 0xef): number {
  let x = seed;
  let k = 0;
  const end = data.length;
  while (k < end && (data.byteOffset + k) % 4 !== 0) x ^= data[k++];
  const words = (end - k) >> 2;
  if (words > 0) {
    const w = new Uint32Array(data.buffer, data.byteOffset + k, words);
    let acc = 0;
    for (let i = 0; i < words; i++) acc ^= w[i];
    x ^= acc ^ (acc >>> 8) ^ (acc >>> 16) ^ (acc >>> 24);
    k += words * 4;
  }
  while (k < end) x ^= data[k++];
  return x & 0xff;
}

/** Build a request packet: direction 0, opcode, u16 size, u32 checksum, data. */
export function encodeRequest(op: number, data: Uint8Array, checksum = 0): Uint8Array {
  if (data.length > 0xffff) throw new InternalError(`Command 0x${op.toString(16)} data of ${data.length} bytes does not fit the 16-bit size field.`);
  const pkt = new Uint8Array(8 + data.length);
  const dv = new DataView(pkt.buffer);
  pkt[0] = 0x00;
  pkt[1] = op & 0xff;
  dv.setUint16(2, data.length, true);
  dv.setUint32(4, checksum >>> 0, true);
  pkt.set(data, 8);
  return pkt;
}

export interface ResponsePacket {
  op: number;
  /** Header value field (READ_REG result; SYNC: non-zero from the ROM, 0 from a stub). */
  value: number;
  /** Data field: optional payload followed by status bytes. */
  data: Uint8Array;
}

/** Parse a frame as a response; undefined when it is not one (too short or direction ≠ 1). */
export function decodeResponse(frame: Uint8Array): ResponsePacket | undefined {
  if (frame.length < 8 || frame[0] !== 0x01) return undefined;
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const size = dv.getUint16(2, true);
  // Trust the bytes that arrived; the size field only limits them when it is smaller.
  const data = frame.subarray(8, 8 + Math.min(size, frame.length - 8));
  return { op: frame[1], value: dv.getUint32(4, true), data };
}

/** Little-endian u32 words → bytes. */
export function u32le(...words: number[]): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const dv = new DataView(out.buffer);
  words.forEach((w, i) => dv.setUint32(i * 4, w >>> 0, true));
  return out;
}

export function readU32le(data: Uint8Array, offset: number): number {
  return new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(offset, true);
}

/**
 * A whole _DATA request (MEM_DATA, FLASH_DATA, FLASH_DEFL_DATA, FLASH_ENCRYPT_DATA) in one
 * allocation: the 8-byte header with the block's checksum, the 16-byte data header
 * {length, seq, 0, 0} (§2: FLASH_DATA), the block.
 */
export function dataRequest(op: number, seq: number, block: Uint8Array): Uint8Array {
  const size = 16 + block.length;
  if (size > 0xffff) throw new InternalError(`Command 0x${op.toString(16)} data of ${size} bytes does not fit the 16-bit size field.`);
  const pkt = new Uint8Array(8 + size);
  const dv = new DataView(pkt.buffer);
  pkt[1] = op & 0xff;
  dv.setUint16(2, size, true);
  dv.setUint32(4, xorChecksum(block), true);
  dv.setUint32(8, block.length, true);
  dv.setUint32(12, seq >>> 0, true);
  pkt.set(block, 24);
  return pkt;
}
