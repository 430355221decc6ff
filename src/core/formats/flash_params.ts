/**
 * Flash mode / size / frequency as image headers encode them (§6.1) and as build files spell
 * them ("dio", "4MB", "80m"). Frequencies are chip-specific and come from the chip table.
 */
import { chipFacts, FLASH_MODES, FLASH_SIZES, type ChipName, type FlashMode } from '../chips';

export function flashModeName(byte: number): FlashMode | undefined {
  return FLASH_MODES[byte];
}

export function flashModeByte(mode: string): number | undefined {
  const i = (FLASH_MODES as readonly string[]).indexOf(mode.trim().toLowerCase());
  return i >= 0 ? i : undefined;
}

/** "4mb", "4M", "4 MB" → "4MB"; "detect"/"keep" stay; undefined when not a size. */
export function normalizeFlashSize(size: string): string | undefined {
  const t = size.trim();
  if (/^(detect|keep)$/i.test(t)) return t.toLowerCase();
  const m = /^(\d+)\s*(k|m)b?$/i.exec(t);
  if (!m) return undefined;
  return `${m[1]}${m[2].toUpperCase()}B`;
}

/** "80M", "80mhz", "80" → "80m"; "keep" stays. */
export function normalizeFlashFreq(freq: string): string | undefined {
  const t = freq.trim().toLowerCase();
  if (t === 'keep') return t;
  const m = /^(\d+)\s*(m|mhz)?$/.exec(t);
  return m ? `${m[1]}m` : undefined;
}

export function flashSizeName(nibble: number): string | undefined {
  return FLASH_SIZES[nibble];
}

export function flashSizeNibble(size: string): number | undefined {
  const n = normalizeFlashSize(size);
  const i = n === undefined ? -1 : (FLASH_SIZES as readonly string[]).indexOf(n);
  return i >= 0 ? i : undefined;
}

/** Frequency name for a header nibble on this chip (the first name the table maps to it). */
export function flashFreqName(chip: ChipName, nibble: number): string | undefined {
  const table = chipFacts(chip).flashFreq;
  return Object.keys(table).find((k) => table[k] === nibble);
}

export function flashFreqNibble(chip: ChipName, freq: string): number | undefined {
  const n = normalizeFlashFreq(freq);
  return n === undefined ? undefined : chipFacts(chip).flashFreq[n];
}

export function validFlashFreqs(chip: ChipName): string[] {
  return Object.keys(chipFacts(chip).flashFreq);
}
