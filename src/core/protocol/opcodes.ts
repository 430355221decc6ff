/** Command opcodes of the ESP serial loader protocol (esp-serial-protocol.md §2). */
export const Op = {
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

export type OpCode = (typeof Op)[keyof typeof Op];

const NAMES = new Map<number, string>(Object.entries(Op).map(([k, v]) => [v, k]));

export function opName(op: number): string {
  return NAMES.get(op) ?? `0x${op.toString(16).padStart(2, '0')}`;
}

/** Commands whose header checksum field carries the XOR checksum of the payload (§1.4). */
export const DATA_COMMANDS: ReadonlySet<number> = new Set([Op.MEM_DATA, Op.FLASH_DATA, Op.FLASH_DEFL_DATA, Op.FLASH_ENCRYPT_DATA]);

/** Block sizes (§2.2). */
export const ROM_FLASH_BLOCK = 0x400;
export const STUB_FLASH_BLOCK = 0x4000;
export const RAM_BLOCK = 0x1800;
export const FLASH_SECTOR = 0x1000;

/** The SYNC payload: 07 07 12 20 followed by 32 × 0x55 (§2). */
export const SYNC_PAYLOAD: Uint8Array = Uint8Array.from([0x07, 0x07, 0x12, 0x20, ...new Array<number>(32).fill(0x55)]);
