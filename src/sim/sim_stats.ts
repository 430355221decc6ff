/** Counters the virtual chip keeps for tests, the demo and benchmarks. */

export interface SimStats {
  /** Bytes the host sent / the chip sent (on the wire, SLIP-encoded, including boot text). */
  bytesIn: number;
  bytesOut: number;
  /** Complete SLIP frames received / sent (including raw frames such as OHAI and READ_FLASH data). */
  framesIn: number;
  framesOut: number;
  /** Received frames that were not a valid request (noise, half frames, garbled bytes). */
  badFrames: number;
  /** Valid requests handled, total and per opcode (key: opcode number). */
  commands: number;
  perOpcode: Record<number, number>;
  /** Opcodes in arrival order (the most recent 10 000). */
  commandLog: number[];
  /** Modelled flash work (counted whether or not the timing model delays anything). */
  sectorsErased: number;
  blocksErased: number;
  chipErases: number;
  pagesProgrammed: number;
  eraseMs: number;
  programMs: number;
  /** SPI_FLASH_MD5: bytes hashed and the modelled chip time; READ_FLASH / MEM_DATA chip time. */
  md5Bytes: number;
  md5Ms: number;
  readMs: number;
  ramLoadMs: number;
  /** Bytes written to flash (after inflate; ciphertext counts once). */
  bytesWritten: number;
  /** Bytes whose wire speed did not match the chip's baud and were garbled. */
  garbledBytes: number;
}

export const COMMAND_LOG_LIMIT = 10000;

export function newSimStats(): SimStats {
  return {
    bytesIn: 0,
    bytesOut: 0,
    framesIn: 0,
    framesOut: 0,
    badFrames: 0,
    commands: 0,
    perOpcode: {},
    commandLog: [],
    sectorsErased: 0,
    blocksErased: 0,
    chipErases: 0,
    pagesProgrammed: 0,
    eraseMs: 0,
    programMs: 0,
    md5Bytes: 0,
    md5Ms: 0,
    readMs: 0,
    ramLoadMs: 0,
    bytesWritten: 0,
    garbledBytes: 0,
  };
}

export function countCommand(stats: SimStats, op: number): void {
  stats.commands++;
  stats.perOpcode[op] = (stats.perOpcode[op] ?? 0) + 1;
  stats.commandLog.push(op);
  if (stats.commandLog.length > COMMAND_LOG_LIMIT) stats.commandLog.splice(0, stats.commandLog.length - COMMAND_LOG_LIMIT);
}
