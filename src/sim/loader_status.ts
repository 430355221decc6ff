/**
 * Status bytes and error codes of the ROM loader and the flasher stubs (spec §1.5, §1.6).
 * ROM: [1, code, 0, 0] (2 bytes on ESP8266); stub: the 16-bit code big-endian in 2 bytes.
 */

export const ROM_ERR = {
  INVALID_PARAM: 0x01,
  BAD_FORMAT: 0x05, // also the "unsupported command" reply
  RESULT_WRONG: 0x06,
  CHECKSUM: 0x07,
  FLASH_WRITE: 0x08,
  FLASH_READ: 0x09,
  READ_LENGTH: 0x0a,
  DEFLATE: 0x0b,
  RAM_SIZE: 0x0e,
  RAM_ADDRESS: 0x0f,
} as const;

export const STUB_ERR = {
  BAD_DATA_LEN: 0xc000,
  BAD_DATA_CHECKSUM: 0xc100,
  BAD_BLOCKSIZE: 0xc200,
  INVALID_COMMAND: 0xc300,
  FAILED_SPI_OP: 0xc400,
  FAILED_SPI_UNLOCK: 0xc500,
  NOT_IN_FLASH_MODE: 0xc600,
  INFLATE_ERROR: 0xc700,
  NOT_ENOUGH_DATA: 0xc800,
  TOO_MUCH_DATA: 0xc900,
  CMD_NOT_IMPLEMENTED: 0xff00,
  /** Legacy stub ERASE_REGION raw codes (byte 0). */
  LEGACY_ERASE_ADDR_ALIGN: 0x3200,
  LEGACY_ERASE_LEN_ALIGN: 0x3300,
  LEGACY_ERASE_FAILED: 0x3500,
} as const;

export type LoaderKind = 'rom' | 'stub';

export function okStatus(kind: LoaderKind, romStatusLength: 2 | 4): Uint8Array {
  return new Uint8Array(kind === 'rom' ? romStatusLength : 2);
}

export function failStatus(kind: LoaderKind, romStatusLength: 2 | 4, romCode: number, stubCode: number): Uint8Array {
  if (kind === 'stub') return Uint8Array.from([(stubCode >> 8) & 0xff, stubCode & 0xff]);
  const s = new Uint8Array(romStatusLength);
  s[0] = 0x01;
  s[1] = romCode & 0xff;
  return s;
}
