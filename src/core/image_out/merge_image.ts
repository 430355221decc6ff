/**
 * One flash image from a plan's segments: what a programmer writes raw at `targetOffset` so
 * the flash ends up holding exactly what `flash` would have written.
 *
 *  - the bootloader header is patched with the flash settings by the flash job's own code
 *    (image_header_patch.ts), before any encryption, as a flash does;
 *  - segments marked encrypted become ciphertext for their flash offsets with the device's key
 *    (espsecure-compatible crypto, padded with 0xFF to the chip's encrypted-write alignment),
 *    the others stay plain;
 *  - gaps (and the fill up to `fillFlashSize`) are 0xFF, as erased flash reads.
 *
 * The plan's rules are checked first by the same entry points `plan` and `flash` use
 * (checkPlan, validateSegments); anything refused throws an ImageOutError of Problems.
 */
import { chipFacts, type ChipFacts, type ChipName } from '../chips';
import { encryptFlashData, keyChipMismatch, type FlashKey } from '../crypto/flash_crypto';
import { patchImageHeader } from '../flash/image_header_patch';
import { validateSegments } from '../flash/validate_segments';
import { formatSize, hex } from '../formats/bytes';
import { checkPlan } from '../plan/check_plan';
import type { FlashPlan, FlashSettings } from '../plan/flash_plan';
import { errorProblem, type Problem } from '../plan/problem';
import { ImageOutError } from './image_out_error';
import type { DataRun } from './intel_hex';

export interface MergeSegment {
  name: string;
  offset: number;
  bytes: Uint8Array;
  /** Written as ciphertext with the key. */
  encrypt: boolean;
  /** The file it came from, for messages. */
  file?: string;
}

export interface MergeOptions {
  chip: ChipName;
  /** Flash settings patched into the bootloader header ('detect' has no device to ask: kept). */
  settings: FlashSettings;
  /** The device's flash-encryption key; needed when a segment is encrypted. */
  key?: FlashKey;
  /** ESP32 scheme: FLASH_CRYPT_CONFIG the ciphertext is for (default 0xF). */
  flashCryptConfig?: number;
  /** Flash offset the image will be written at (default 0). */
  targetOffset?: number;
  /** Pad the raw image with 0xFF up to this flash size (bytes). */
  fillFlashSize?: number;
  /** Names used in messages for the options (neutral words by default; the CLI passes its flags). */
  optionNames?: { targetOffset?: string; fillFlashSize?: string; key?: string };
}

export interface MergedRegion {
  name: string;
  offset: number;
  /** Bytes in the image (after encryption padding). */
  length: number;
  encrypted: boolean;
  /** The header patch applied, if any. */
  patchNote?: string;
}

export interface MergedImage {
  chip: ChipName;
  /** Flash offset of the first byte of `raw`. */
  base: number;
  /** The raw image: regions at their offsets, 0xFF elsewhere, filled when asked. */
  raw: Uint8Array;
  regions: MergedRegion[];
  /** The regions' bytes at their flash offsets (for Intel HEX and UF2, which keep the gaps out). */
  runs: DataRun[];
  /** Notes for the user (settings kept, …). */
  notes: string[];
}

const label = (s: { name: string; offset: number; file?: string }) => `segment ${s.name} at ${hex(s.offset)}${s.file ? ` (${s.file})` : ''}`;

function padTo(b: Uint8Array, n: number): Uint8Array {
  if (b.length % n === 0) return b;
  const out = new Uint8Array(b.length + (n - (b.length % n))).fill(0xff);
  out.set(b);
  return out;
}

/** With no device there is nothing to detect: the header keeps the size the build wrote. */
function mergeSettings(settings: FlashSettings, notes: string[]): FlashSettings {
  if (settings.size !== 'detect') return settings;
  notes.push('Flash size "detect": no device to ask, so the bootloader header keeps the size the build wrote (set a flash size to write one).');
  return { ...settings, size: 'keep' };
}

function encryptionProblems(segments: MergeSegment[], facts: ChipFacts, opts: MergeOptions): Problem[] {
  const enc = segments.filter((s) => s.encrypt);
  if (enc.length === 0) return [];
  const keyOpt = opts.optionNames?.key ?? 'the key';
  const out: Problem[] = [];
  if (facts.cryptScheme === 'none') {
    return [
      errorProblem(
        `${facts.displayName} has no flash encryption, so ${label(enc[0])} cannot be encrypted. Merge it plain (leave out ${keyOpt}).`,
        enc[0].file,
        `segment ${enc[0].name}`,
      ),
    ];
  }
  if (!opts.key) {
    return [
      errorProblem(`${label(enc[0])} is to be encrypted, but no key was given. Give the device's flash-encryption key (${keyOpt} FILE).`, enc[0].file, `segment ${enc[0].name}`),
    ];
  }
  const mismatch = keyChipMismatch(opts.key, facts.name);
  if (mismatch) out.push(errorProblem(mismatch, opts.key.source, keyOpt));
  for (const s of enc) {
    if (s.offset % facts.encryptedWriteAlign !== 0) {
      out.push(
        errorProblem(
          `${label(s)} is to be encrypted but its offset is not a multiple of ${facts.encryptedWriteAlign} bytes, which ${facts.displayName} flash encryption needs. Move it to an aligned offset or merge it plain.`,
          s.file,
          `segment ${s.name}`,
        ),
      );
    }
  }
  return out;
}

/** Lay the segments out (no plan checks: see mergePlan). Throws ImageOutError. */
export function mergeSegments(segments: MergeSegment[], opts: MergeOptions): MergedImage {
  const facts = chipFacts(opts.chip);
  const notes: string[] = [];
  const names = { targetOffset: 'the target offset', fillFlashSize: 'the fill flash size', ...opts.optionNames };
  if (segments.length === 0) throw new ImageOutError([errorProblem('There are no segments to merge.')], 'merged image');
  const encProblems = encryptionProblems(segments, facts, opts);
  if (encProblems.length) throw new ImageOutError(encProblems, 'merged image');

  const settings = mergeSettings(opts.settings, notes);
  const align = Math.max(16, facts.encryptedWriteAlign);
  const laid = [...segments]
    .sort((a, b) => a.offset - b.offset)
    .map((s) => {
      let bytes = s.bytes;
      const patch = patchImageHeader(bytes, s.offset, facts, settings, undefined, s.name);
      if (patch.patched) bytes = patch.bytes;
      if (s.encrypt) {
        const padded = padTo(bytes, align);
        bytes = encryptFlashData(opts.key as FlashKey, s.offset, padded, { padTo: align, flashCryptConfig: opts.flashCryptConfig, label: `segment "${s.name}"` });
      }
      return { seg: s, bytes, patchNote: patch.patched ? patch.note : undefined, padded: bytes.length - s.bytes.length };
    });

  const problems: Problem[] = [];
  const base = opts.targetOffset ?? 0;
  for (const l of laid) {
    if (l.seg.offset < base) {
      problems.push(
        errorProblem(
          `${label(l.seg)} lies before the image start ${names.targetOffset} ${hex(base)}; a raw write there would miss it. Lower ${names.targetOffset} to ${hex(l.seg.offset)} or less.`,
          l.seg.file,
          names.targetOffset,
        ),
      );
    }
  }
  for (let i = 1; i < laid.length; i++) {
    const a = laid[i - 1];
    const b = laid[i];
    const end = a.seg.offset + a.bytes.length;
    if (end > b.seg.offset) {
      const why = a.padded > 0 ? ` once padded by ${a.padded} bytes to the ${align}-byte encryption unit` : '';
      problems.push(
        errorProblem(
          `${label(a.seg)} ends at ${hex(end)}${why}, overlapping ${label(b.seg)}. Move ${b.seg.name} to ${hex(Math.ceil(end / 0x1000) * 0x1000)} or later, or merge ${a.seg.name} plain.`,
          b.seg.file,
          `segment ${b.seg.name}`,
        ),
      );
    }
  }
  const end = Math.max(...laid.map((l) => l.seg.offset + l.bytes.length));
  if (opts.fillFlashSize !== undefined && opts.fillFlashSize < end) {
    const last = laid.find((l) => l.seg.offset + l.bytes.length === end)!;
    problems.push(
      errorProblem(
        `${names.fillFlashSize} ${formatSize(opts.fillFlashSize)} is smaller than the image: ${label(last.seg)} ends at ${hex(end)}. Give a flash size of at least ${hex(end)} bytes (e.g. ${fitSize(end)}), or leave ${names.fillFlashSize} out.`,
        last.seg.file,
        names.fillFlashSize,
      ),
    );
  }
  if (problems.length) throw new ImageOutError(problems, 'merged image');

  const total = (opts.fillFlashSize ?? end) - base;
  const raw = new Uint8Array(total).fill(0xff);
  for (const l of laid) raw.set(l.bytes, l.seg.offset - base);
  const regions: MergedRegion[] = laid.map((l) => {
    const r: MergedRegion = { name: l.seg.name, offset: l.seg.offset, length: l.bytes.length, encrypted: l.seg.encrypt };
    if (l.patchNote) r.patchNote = l.patchNote;
    return r;
  });
  return { chip: facts.name, base, raw, regions, runs: laid.map((l) => ({ offset: l.seg.offset, bytes: l.bytes })), notes };
}

/** The smallest power-of-two flash size that holds `bytes`, as "4MB". */
function fitSize(bytes: number): string {
  let mb = 1;
  while (mb * 0x100000 < bytes) mb *= 2;
  return `${mb}MB`;
}

/**
 * The plan's rules, then the layout: checkPlan (as `plan` and `flash` run it), the flash
 * job's write-list checks (overlaps, shared 4 KiB sectors), then mergeSegments.
 * `segments` are the plan's segments with their encryption chosen by the caller.
 */
export function mergePlan(plan: FlashPlan, segments: MergeSegment[], opts: Omit<MergeOptions, 'chip'> & { chip?: ChipName }): MergedImage {
  const chip = opts.chip ?? plan.chip;
  if (!chip) {
    throw new ImageOutError([errorProblem(`Cannot tell which chip ${plan.source ?? 'these files'} are for; give the chip (e.g. esp32c3).`, undefined, 'chip')], 'merged image');
  }
  const problems: Problem[] = checkPlan({ ...plan, chip, settings: opts.settings }).filter((p) => p.severity === 'error');
  let merged: MergedImage | undefined;
  try {
    merged = mergeSegments(segments, { ...opts, chip });
  } catch (e) {
    if (!(e instanceof ImageOutError)) throw e;
    // Layout problems first: they say more about padding and offsets than the generic rules.
    problems.unshift(...e.problems);
  }
  if (problems.length === 0) {
    try {
      validateSegments(segments.map((s) => ({ name: s.name, offset: s.offset, bytes: s.bytes, encrypt: s.encrypt ? 'host' : 'off' })));
    } catch (e) {
      problems.push(errorProblem((e as Error).message));
    }
  }
  if (problems.length || !merged) throw new ImageOutError(problems, 'merged image');
  return merged;
}
