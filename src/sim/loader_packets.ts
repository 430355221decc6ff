/**
 * Loader packet layout seen from the chip (spec §1.2–§1.4, §2): opcodes, request parsing,
 * response building, the XOR checksum.
 */

export const OP = {
  FLASH_BEGIN: 0x02,
  FLASH_DATA: 0x03,
  FLASH_END: 0x04,
  MEM_BEGIN: 0x05,
  MEM_END: 0x06,
  MEM_DATA: 0x07,
  SYNC: 0x08,
  WRITE_REG: 0x09,
  READ_REG: 0x0a,
  SPI_SET_PARAMS: 0x0b,
  SPI_ATTACH: 0x0d,
  READ_FLASH_SLOW: 0x0e,
  CHANGE_BAUDRATE: 0x0f,
  FLASH_DEFL_BEGIN: 0x10,
  FLASH_DEFL_DATA: 0x11,
  FLASH_DEFL_END: 0x12,
  SPI_FLASH_MD5: 0x13,
  GET_SECURITY_INFO: 0x14,
  ERASE_FLASH: 0xd0,
  ERASE_REGION: 0xd1,
  READ_FLASH: 0xd2,
  RUN_USER_CODE: 0xd3,
  FLASH_ENCRYPT_DATA: 0xd4,
} as const;

export type OpName = keyof typeof OP;

export function opName(op: number): string {
  const hit = (Object.keys(OP) as OpName[]).find((k) => OP[k] === op);
  return hit ?? `0x${op.toString(16).padStart(2, '0')}`;
}

/** SYNC request body: 07 07 12 20 followed by 32 × 0x55. */
export const SYNC_BODY = Uint8Array.from([0x07, 0x07, 0x12, 0x20, ...new Array<number>(32).fill(0x55)]);

/** Value field of the ROM's SYNC replies. */
export const ROM_SYNC_VALUE = 0x20120707;

export interface LoaderRequest {
  op: number;
  checksum: number;
  data: Uint8Array;
}

/** A request frame: direction 0, size field equal to the data length. Anything else is noise. */
export function parseRequest(frame: Uint8Array): LoaderRequest | undefined {
  if (frame.length < 8 || frame[0] !== 0x00) return undefined;
  const size = frame[2] | (frame[3] << 8);
  if (size !== frame.length - 8) return undefined;
  const checksum = u32(frame, 4);
  return { op: frame[1], checksum, data: frame.subarray(8) };
}

export function buildResponse(op: number, value: number, payload: Uint8Array, status: Uint8Array): Uint8Array {
  const size = payload.length + status.length;
  const out = new Uint8Array(8 + size);
  out[0] = 0x01;
  out[1] = op;
  out[2] = size & 0xff;
  out[3] = (size >> 8) & 0xff;
  writeU32(out, 4, value);
  out.set(payload, 8);
  out.set(status, 8 + payload.length);
  return out;
}

/** XOR of every byte, seeded with 0xEF (spec §1.4). */
export function xorChecksum(data: Uint8Array): number {
  let c = 0xef;
  for (const b of data) c ^= b;
  return c;
}

export function u32(buf: Uint8Array, offset: number): number {
  return (buf[offset] | (buf[offset + 1] << 8) | (buf[offset + 2] << 16) | (buf[offset + 3] << 24)) >>> 0;
}

export function writeU32(buf: Uint8Array, offset: number, value: number): void {
  buf[offset] = value & 0xff;
  buf[offset + 1] = (value >>> 8) & 0xff;
  buf[offset + 2] = (value >>> 16) & 0xff;
  buf[offset + 3] = (value >>> 24) & 0xff;
}

export function u32Words(data: Uint8Array): number[] {
  const words: number[] = [];
  for (let i = 0; i + 4 <= data.length; i += 4) words.push(u32(data, i));
  return words;
}
