/** Command timeouts (esp-serial-protocol.md §2.4). "Per MB" means per 1 000 000 bytes. */

export const DEFAULT_TIMEOUT_MS = 3000;
export const SYNC_TIMEOUT_MS = 100;
export const MEM_END_ROM_TIMEOUT_MS = 200;
export const ERASE_FLASH_TIMEOUT_MS = 120_000;
export const MAX_TIMEOUT_MS = 240_000;
export const SERIAL_WRITE_TIMEOUT_MS = 10_000;
export const READ_FLASH_FRAME_TIMEOUT_MS = 3000;
/** Time allowed for the stub's "OHAI" greeting after MEM_END. */
export const STUB_GREETING_TIMEOUT_MS = 3000;

export const ERASE_MS_PER_MB = 40_000;
export const WRITE_MS_PER_MB = 40_000;
export const MD5_MS_PER_MB = 8_000;

/** A timeout scaled by size: `msPerMb × bytes / 1e6`, at least the default 3 s, at most 240 s. */
export function scaledTimeout(msPerMb: number, bytes: number): number {
  const t = Math.ceil((msPerMb * bytes) / 1e6);
  return Math.min(MAX_TIMEOUT_MS, Math.max(DEFAULT_TIMEOUT_MS, t));
}

/**
 * Stub FLASH_DEFL_DATA / FLASH_DATA: the stub ACKs a block at once and writes it while the next
 * arrives, so the wait for block n covers the work of block n−1 plus the erases it may cause.
 */
export function stubBlockTimeout(previousUncompressedBytes: number): number {
  const erases = (Math.ceil(previousUncompressedBytes / 0x8000) + 1) * 0x10000;
  return scaledTimeout(WRITE_MS_PER_MB, previousUncompressedBytes + erases);
}
