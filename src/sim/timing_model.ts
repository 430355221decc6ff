/**
 * Timing figures of the virtual chip (off unless `timing` is set).
 *
 * Flash figures are the typical values of the Winbond W25Q32JV datasheet (rev. H):
 *   tSE  4 KiB sector erase   45 ms typ
 *   tBE2 64 KiB block erase  150 ms typ
 *   tPP  page program (256 B) 0.4 ms typ
 *   tCE  chip erase           10 s typ for 4 MiB  → 2.5 s per MiB, scaled with the flash size
 * UART: 8N1 = 10 bit times per byte, in both directions, at the chip's current baud.
 *
 * What the loader itself spends (ROM and stub alike: the stubs call the ROM's SPI read and MD5
 * routines), per chip family — see LOADER_SPEEDS below for the figures and where they come from:
 *   SPI_FLASH_MD5   read the region from flash, then hash it in software, one after the other
 *   READ_FLASH      read each packet from flash before it goes on the wire
 *   MEM_DATA        checksum and copy the block into RAM
 */
import type { ChipName } from '../core/chips';
import { BLOCK_SIZE, EraseStep } from './flash_memory';

export interface FlashTimings {
  eraseSectorMs: number;
  eraseBlockMs: number;
  programPageMs: number;
  chipEraseMsPerMiB: number;
  /**
   * Extra delay before every reply (default 0): stands in for host-side USB-serial turnaround.
   * Hardware figures in spec §12 (ROM ~145 kbit/s, stub ~570 kbit/s at 921600) are matched by
   * about 44 ms per block; the chip itself does not cause it, so it is off by default.
   */
  replyLatencyMs: number;
  /** Flash read throughput of the loader's SPI read routine, bytes per ms (chip default: LOADER_SPEEDS). */
  flashReadBytesPerMs: number;
  /** Software MD5 throughput of the loader, bytes per ms (chip default: LOADER_SPEEDS). */
  md5BytesPerMs: number;
  /** MEM_DATA checksum + copy into RAM, bytes per ms (chip default: LOADER_SPEEDS). */
  ramLoadBytesPerMs: number;
}

/**
 * How fast the loader works on a chip family in download mode.
 *
 * - `cpuMHz`: the ROM runs the CPU from the crystal as reset leaves it (each family's Technical
 *   Reference Manual, "Reset and Clock": after reset CPU_CLK is XTAL_CLK undivided) and the
 *   flasher stubs do not raise it. Crystals: 40 MHz (ESP32, S2, S3, C2 in its 40 MHz variant, C3,
 *   C6, P4), 48 MHz (C5), 32 MHz (H2) — datasheets, "Clocks".
 * - `md5CyclesPerByte`: software MD5 (the RFC 1321 reference code the ROMs carry) costs about
 *   17 cycles per byte on a 32-bit in-order core: RFC 1810 ("Report on MD5 Performance")
 *   measured 31 Mbit/s on an i486 at 66 MHz, i.e. 66e6 / (31e6 / 8) ≈ 17 cycles per byte.
 * - `spiMHz`, `spiLines`: the ROM reads flash in DIO at 40 MHz on the ESP32 (its boot log
 *   prints "mode:DIO, clock div:2" of the 80 MHz SPI clock) and the later families keep the same
 *   default mode and clock in download mode. `spiOverheadClocks`: each SPI read transaction
 *   moves at most 64 bytes (the controller's 16 data words, W0–W15, TRM "SPI") and spends a
 *   command byte on one line, 24 address bits + 4 mode bits on two lines and the CPU's
 *   set-up and polling: ≈ 8 + 14 + 30 clocks per transaction (the last figure estimated).
 * - `ramLoadCyclesPerByte`: MEM_DATA checksums the block (one XOR per byte) and copies it:
 *   ≈ 4 cycles per byte (estimated).
 * Flash read ≈ 8.3 MB/s and MD5 ≈ 2.35 MB/s at 40 MHz: hashing 1 MiB costs about 0.57 s of chip
 * time, so comparing before writing is not free on the virtual chip when it is not on silicon.
 */
export interface LoaderSpeed {
  cpuMHz: number;
  md5CyclesPerByte: number;
  spiMHz: number;
  spiLines: number;
  spiOverheadClocks: number;
  ramLoadCyclesPerByte: number;
}

const XTAL40: LoaderSpeed = Object.freeze({ cpuMHz: 40, md5CyclesPerByte: 17, spiMHz: 40, spiLines: 2, spiOverheadClocks: 52, ramLoadCyclesPerByte: 4 });

export const LOADER_SPEEDS: Readonly<Record<ChipName, LoaderSpeed>> = Object.freeze({
  esp8266: { ...XTAL40, cpuMHz: 26 },
  esp32: XTAL40,
  esp32s2: XTAL40,
  esp32s3: XTAL40,
  esp32c2: XTAL40,
  esp32c3: XTAL40,
  esp32c5: { ...XTAL40, cpuMHz: 48 },
  esp32c6: XTAL40,
  esp32h2: { ...XTAL40, cpuMHz: 32 },
  esp32p4: XTAL40,
});

/** Bytes per SPI read transaction (the controller's data buffer). */
export const SPI_READ_CHUNK = 64;

/** The three loader figures of FlashTimings for a chip family. */
export function loaderSpeedTimings(chip: ChipName): Pick<FlashTimings, 'flashReadBytesPerMs' | 'md5BytesPerMs' | 'ramLoadBytesPerMs'> {
  const s = LOADER_SPEEDS[chip] ?? XTAL40;
  const clocksPerChunk = (SPI_READ_CHUNK * 8) / s.spiLines + s.spiOverheadClocks;
  return {
    flashReadBytesPerMs: (SPI_READ_CHUNK * s.spiMHz * 1000) / clocksPerChunk,
    md5BytesPerMs: (s.cpuMHz * 1000) / s.md5CyclesPerByte,
    ramLoadBytesPerMs: (s.cpuMHz * 1000) / s.ramLoadCyclesPerByte,
  };
}

export const DATASHEET_TIMINGS: FlashTimings = Object.freeze({
  eraseSectorMs: 45,
  eraseBlockMs: 150,
  programPageMs: 0.4,
  chipEraseMsPerMiB: 2500,
  replyLatencyMs: 0,
  ...loaderSpeedTimings('esp32'),
});

export const UART_BITS_PER_BYTE = 10;

/** Milliseconds `bytes` take on a UART line at `baud` (8N1). */
export function wireMs(bytes: number, baud: number): number {
  return (bytes * UART_BITS_PER_BYTE * 1000) / baud;
}

export function eraseMs(steps: EraseStep[], t: FlashTimings): number {
  let ms = 0;
  for (const s of steps) ms += s.length === BLOCK_SIZE ? t.eraseBlockMs : t.eraseSectorMs;
  return ms;
}

/** Chip time of SPI_FLASH_MD5 over `bytes`: read from flash, then hash (the loader does not overlap them). */
export function md5Ms(bytes: number, t: FlashTimings): number {
  return bytes / t.flashReadBytesPerMs + bytes / t.md5BytesPerMs;
}

/** Chip time to read `bytes` from flash (READ_FLASH packets, READ_FLASH_SLOW). */
export function flashReadMs(bytes: number, t: FlashTimings): number {
  return bytes / t.flashReadBytesPerMs;
}

/** Chip time of one MEM_DATA block of `bytes` (checksum + copy into RAM). */
export function ramLoadMs(bytes: number, t: FlashTimings): number {
  return bytes / t.ramLoadBytesPerMs;
}

export function programMs(pages: number, t: FlashTimings): number {
  return pages * t.programPageMs;
}

export function chipEraseMs(flashSize: number, t: FlashTimings): number {
  return (flashSize / (1024 * 1024)) * t.chipEraseMsPerMiB;
}

/** The default figures for a chip family: datasheet flash times and the family's loader speed. */
export function defaultTimings(chip: ChipName): FlashTimings {
  return { ...DATASHEET_TIMINGS, ...loaderSpeedTimings(chip) };
}

/** Resolve user timing options into figures; undefined when timing is off. */
export function resolveTimings(opt: boolean | Partial<FlashTimings> | undefined, chip: ChipName = 'esp32'): FlashTimings | undefined {
  if (!opt) return undefined;
  if (opt === true) return defaultTimings(chip);
  for (const k of Object.keys(opt)) {
    if (!(k in DATASHEET_TIMINGS)) throw new Error(`Unknown timing option "${k}"; known: ${Object.keys(DATASHEET_TIMINGS).join(', ')}.`);
  }
  const t = { ...defaultTimings(chip), ...Object.fromEntries(Object.entries(opt).filter(([, v]) => v !== undefined)) };
  for (const [k, v] of Object.entries(t)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`Timing option ${k} must be a number ≥ 0, got ${String(v)}.`);
    if (k.endsWith('PerMs') && v === 0) throw new Error(`Timing option ${k} must be a rate > 0, got 0.`);
  }
  return t;
}
