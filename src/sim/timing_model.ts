/**
 * Timing figures of the virtual chip (off unless `timing` is set).
 *
 * Flash figures are the typical values of the Winbond W25Q32JV datasheet (rev. H):
 *   tSE  4 KiB sector erase   45 ms typ
 *   tBE2 64 KiB block erase  150 ms typ
 *   tPP  page program (256 B) 0.4 ms typ
 *   tCE  chip erase           10 s typ for 4 MiB  → 2.5 s per MiB, scaled with the flash size
 * UART: 8N1 = 10 bit times per byte, in both directions, at the chip's current baud.
 */
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
}

export const DATASHEET_TIMINGS: FlashTimings = Object.freeze({
  eraseSectorMs: 45,
  eraseBlockMs: 150,
  programPageMs: 0.4,
  chipEraseMsPerMiB: 2500,
  replyLatencyMs: 0,
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

export function programMs(pages: number, t: FlashTimings): number {
  return pages * t.programPageMs;
}

export function chipEraseMs(flashSize: number, t: FlashTimings): number {
  return (flashSize / (1024 * 1024)) * t.chipEraseMsPerMiB;
}

/** Resolve user timing options into figures; undefined when timing is off. */
export function resolveTimings(
  opt: boolean | Partial<FlashTimings> | undefined,
): FlashTimings | undefined {
  if (!opt) return undefined;
  if (opt === true) return { ...DATASHEET_TIMINGS };
  for (const k of Object.keys(opt)) {
    if (!(k in DATASHEET_TIMINGS)) throw new Error(`Unknown timing option "${k}"; known: ${Object.keys(DATASHEET_TIMINGS).join(', ')}.`);
  }
  const t = { ...DATASHEET_TIMINGS, ...Object.fromEntries(Object.entries(opt).filter(([, v]) => v !== undefined)) };
  for (const [k, v] of Object.entries(t)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`Timing option ${k} must be a number ≥ 0, got ${String(v)}.`);
  }
  return t;
}
