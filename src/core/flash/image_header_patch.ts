/**
 * Patch flash mode/size/frequency into a bootloader image header as esptool does (§6.2), and
 * recompute the appended SHA-256 so the image still passes its own check. Only plaintext images
 * that parse as a valid image of the connected chip, at the chip's bootloader offset, are touched.
 */
import { createHash } from 'node:crypto';
import { FLASH_SIZES, flashSizeBytes, type ChipFacts } from '../chips';
import { flashFreqNibble, flashModeByte, normalizeFlashSize } from '../formats/flash_params';
import { parseImage } from '../formats/image_parse';
import { InputError } from '../errors';
import type { FlashSettings } from '../plan/flash_plan';

export interface HeaderPatch {
  bytes: Uint8Array;
  patched: boolean;
  /** What changed, or why nothing did. */
  note: string;
}

const DEFAULT_DETECT_SIZE = 4 * 1024 * 1024;

/** Header size nibble for a size setting ("4MB", "detect" → the detected size). */
function sizeNibble(setting: string, detected: number | undefined, segName: string): number {
  let name = normalizeFlashSize(setting);
  if (name === 'detect') {
    const bytes = detected ?? DEFAULT_DETECT_SIZE;
    name = FLASH_SIZES.find((s) => flashSizeBytes(s) === bytes) ?? '4MB';
  }
  const i = name ? (FLASH_SIZES as readonly string[]).indexOf(name) : -1;
  if (i < 0)
    throw new InputError(`Flash size setting "${setting}" (for segment ${segName}) is not one of ${FLASH_SIZES.join(', ')}, detect or keep.`, {
      segment: segName,
      setting: 'flash size',
    });
  return i;
}

export function patchImageHeader(
  bytes: Uint8Array,
  offset: number,
  chip: ChipFacts,
  settings: FlashSettings | undefined,
  detectedFlashSize: number | undefined,
  segName: string,
): HeaderPatch {
  const unchanged = (note: string): HeaderPatch => ({ bytes, patched: false, note });
  if (!settings) return unchanged('no flash settings given');
  if (settings.mode === 'keep' && settings.size === 'keep' && settings.freq === 'keep') return unchanged('settings are all "keep"');
  if (offset !== chip.bootloaderOffset) return unchanged('not at the bootloader offset');
  if (bytes.length < 24 || bytes[0] !== 0xe9 || chip.imageChipId === undefined) return unchanged('not an image');
  const parsed = parseImage(bytes, { chip: chip.name });
  const info = parsed.info;
  if (!info || parsed.problems.some((p) => p.severity === 'error') || info.chipId !== chip.imageChipId) {
    return unchanged(`does not parse as a valid ${chip.displayName} image; header left alone`);
  }
  const out = Uint8Array.from(bytes);
  if (settings.mode !== 'keep') {
    const m = flashModeByte(settings.mode);
    if (m === undefined) throw new InputError(`Flash mode setting "${settings.mode}" is not qio, qout, dio, dout or keep.`, { setting: 'flash mode' });
    out[2] = m;
  }
  let sizeN = out[3] >> 4;
  let freqN = out[3] & 0x0f;
  if (settings.size !== 'keep') sizeN = sizeNibble(settings.size, detectedFlashSize, segName);
  if (settings.freq !== 'keep') {
    const f = flashFreqNibble(chip.name, settings.freq);
    if (f === undefined) {
      throw new InputError(`Flash frequency setting "${settings.freq}" is not valid for ${chip.displayName}; use one of ${Object.keys(chip.flashFreq).join(', ')} or keep.`, {
        setting: 'flash frequency',
      });
    }
    freqN = f;
  }
  out[3] = (sizeN << 4) | freqN;
  if (out[2] === bytes[2] && out[3] === bytes[3]) return unchanged('header already carries these settings');
  let note = `header bytes 2–3 ${hex2(bytes[2])} ${hex2(bytes[3])} → ${hex2(out[2])} ${hex2(out[3])}`;
  if (info.hashAppended && info.sha256) {
    const digestAt = info.imageLength - 32;
    out.set(createHash('sha256').update(out.subarray(0, digestAt)).digest(), digestAt);
    note += ', appended SHA-256 recomputed';
  }
  return { bytes: out, patched: true, note };
}

function hex2(b: number): string {
  return b.toString(16).padStart(2, '0');
}
