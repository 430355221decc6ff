/** Reads an ESP32-family app/bootloader image (§6.1) into ImageInfo plus the problems found. */
import { createHash } from 'node:crypto';
import { chipByImageId, chipFacts, type ChipName } from '../chips';
import { errorProblem, warningProblem, type Problem } from '../plan/problem';
import { xorChecksum } from '../protocol/packet';
import { hex, toHex, u16, u32 } from './bytes';
import { flashFreqName, flashModeName, flashSizeName } from './flash_params';
import { readAppDescriptor, readBootloaderDescriptor } from './image_descriptors';
import { CHECKSUM_SEED, IMAGE_HEADER_LEN, IMAGE_MAGIC, IMAGE_MAX_SEGMENTS, SEGMENT_HEADER_LEN, type ImageInfo, type ImageSegmentInfo } from './image_format';

export interface ParseImageOptions {
  /** Chip to read chip-specific fields with; the header's chip id is used when absent. */
  chip?: ChipName;
  /** File path for messages. */
  file?: string;
  /** Field/segment name for problems ("segment app"). */
  field?: string;
}

export interface ParsedImage {
  /** Undefined when the bytes are not an image at all (bad magic, too short). */
  info?: ImageInfo;
  problems: Problem[];
  /** Byte length the result was computed for (cache guard). */
  length?: number;
}

export function looksLikeImage(b: Uint8Array): boolean {
  return b.length >= IMAGE_HEADER_LEN && b[0] === IMAGE_MAGIC;
}

/** XOR-with-0xEF checksum (§1.4) over one or more byte ranges. */
export function imageChecksum(parts: Uint8Array[], seed = CHECKSUM_SEED): number {
  return parts.reduce((c, p) => xorChecksum(p, c), seed);
}

/** Position of the checksum byte for an image whose segments end at `pos` (§6.1 footer). */
export function checksumPosition(pos: number): number {
  return pos + ((15 - (pos % 16)) % 16);
}

export function isFlashMapped(chip: ChipName, addr: number): boolean {
  const f = chipFacts(chip);
  return (addr >= f.irom[0] && addr < f.irom[1]) || (addr >= f.drom[0] && addr < f.drom[1]);
}

const cache = new WeakMap<Uint8Array, Map<string, ParsedImage>>();

/**
 * Parses an image (results are cached per byte array and options, so readers and checkPlan
 * can both ask without hashing a megabyte twice; treat the result as read-only).
 */
export function parseImage(b: Uint8Array, opts: ParseImageOptions = {}): ParsedImage {
  const key = `${opts.chip ?? ''}\u0000${opts.file ?? ''}\u0000${opts.field ?? ''}`;
  let perBytes = cache.get(b);
  const hit = perBytes?.get(key);
  if (hit && hit.length === b.length) return { info: hit.info, problems: [...hit.problems] };
  const r = parseImageUncached(b, opts);
  if (!perBytes) cache.set(b, (perBytes = new Map()));
  perBytes.set(key, { ...r, length: b.length });
  return r;
}

function parseImageUncached(b: Uint8Array, opts: ParseImageOptions): ParsedImage {
  const problems: Problem[] = [];
  const what = opts.file ?? 'image';
  const err = (m: string) => problems.push(errorProblem(m, opts.file, opts.field));
  const warn = (m: string) => problems.push(warningProblem(m, opts.file, opts.field));

  if (b.length < IMAGE_HEADER_LEN) {
    err(`${what}: ${b.length} bytes is too short for an app/bootloader image header (24 bytes). Rebuild it or pick the right file.`);
    return { problems };
  }
  if (b[0] !== IMAGE_MAGIC) {
    err(
      `${what}: bad image magic ${hex(b[0])} at offset 0 (an app/bootloader image starts with 0xe9). ` +
        `The file is not an image, is encrypted, or is corrupt; rebuild it or pick the right file.`,
    );
    return { problems };
  }

  const chipId = u16(b, 12);
  const idChip = chipByImageId(chipId)?.name;
  const chip = opts.chip ?? idChip;
  const segmentCount = b[1];
  const hashByte = b[23];
  const info: ImageInfo = {
    chipId,
    flashModeByte: b[2],
    flashSizeNibble: b[3] >> 4,
    flashFreqNibble: b[3] & 0x0f,
    entry: u32(b, 4),
    segmentCount,
    segments: [],
    wpPin: b[8],
    minRev: b[14],
    minRevFull: u16(b, 15),
    maxRevFull: u16(b, 17),
    hashAppended: hashByte === 1,
    checksum: { stored: 0, computed: 0, ok: false },
    imageLength: 0,
    trailingBytes: 0,
  };
  if (idChip) info.chip = idChip;
  else warn(`${what}: header chip id ${chipId} (offset 12) names no known chip; the image may be for another chip family or corrupt.`);
  const mode = flashModeName(info.flashModeByte);
  if (mode) info.flashMode = mode;
  else warn(`${what}: flash mode byte ${hex(info.flashModeByte)} (offset 2) is not qio/qout/dio/dout.`);
  const size = flashSizeName(info.flashSizeNibble);
  if (size) info.flashSize = size;
  else warn(`${what}: flash size nibble ${info.flashSizeNibble} (offset 3, high nibble) is not a known size.`);
  if (chip) {
    const freq = flashFreqName(chip, info.flashFreqNibble);
    if (freq) info.flashFreq = freq;
    else warn(`${what}: flash frequency nibble ${info.flashFreqNibble} (offset 3, low nibble) is not valid for ${chipFacts(chip).displayName}.`);
  }
  if (hashByte > 1) err(`${what}: "hash appended" byte at offset 23 is ${hashByte}; only 0 or 1 are valid. The header is corrupt.`);
  if (segmentCount === 0 || segmentCount > IMAGE_MAX_SEGMENTS) {
    err(`${what}: segment count ${segmentCount} (offset 1) is outside 1..${IMAGE_MAX_SEGMENTS}; the header is corrupt.`);
    return { info, problems };
  }

  // Segments.
  let pos = IMAGE_HEADER_LEN;
  let checksum = CHECKSUM_SEED;
  for (let i = 0; i < segmentCount; i++) {
    if (pos + SEGMENT_HEADER_LEN > b.length) {
      err(`${what}: segment ${i} header at offset ${hex(pos)} is past the end of the file (${b.length} bytes); the image is truncated.`);
      return { info, problems };
    }
    const addr = u32(b, pos);
    const length = u32(b, pos + 4);
    const dataOffset = pos + SEGMENT_HEADER_LEN;
    if (length > 16 * 1024 * 1024 || dataOffset + length > b.length) {
      err(`${what}: segment ${i} at offset ${hex(pos)} says ${length} bytes, but only ${Math.max(0, b.length - dataOffset)} follow; ` + `the image is truncated or corrupt.`);
      return { info, problems };
    }
    if (length % 4 !== 0) warn(`${what}: segment ${i} length ${length} (offset ${hex(pos + 4)}) is not a multiple of 4.`);
    const seg: ImageSegmentInfo = { addr, length, dataOffset };
    if (chip) seg.mapping = isFlashMapped(chip, addr) ? 'flash' : 'ram';
    info.segments.push(seg);
    checksum = xorChecksum(b.subarray(dataOffset, dataOffset + length), checksum);
    pos = dataOffset + length;
  }

  const csPos = checksumPosition(pos);
  if (csPos >= b.length) {
    err(`${what}: the checksum byte (offset ${hex(csPos)}) is past the end of the file; the image is truncated.`);
    return { info, problems };
  }
  info.checksum = { stored: b[csPos], computed: checksum & 0xff, ok: b[csPos] === (checksum & 0xff) };
  if (!info.checksum.ok) {
    err(
      `${what}: image checksum mismatch at offset ${hex(csPos)}: stored ${hex(info.checksum.stored)}, computed ${hex(info.checksum.computed)}. ` +
        `The image is corrupt and will not boot; rebuild it.`,
    );
  }
  let end = csPos + 1;
  if (info.hashAppended) {
    if (end + 32 > b.length) {
      err(`${what}: the header says a SHA-256 digest is appended, but the file ends at ${hex(b.length)} before the 32 digest bytes at ${hex(end)}.`);
    } else {
      const stored = toHex(b.subarray(end, end + 32));
      const computed = createHash('sha256').update(b.subarray(0, end)).digest('hex');
      info.sha256 = { stored, computed, ok: stored === computed };
      if (!info.sha256.ok) {
        err(`${what}: appended SHA-256 at offset ${hex(end)} does not match the image (stored ${stored.slice(0, 16)}…, computed ${computed.slice(0, 16)}…); rebuild it.`);
      }
      end += 32;
    }
  }
  info.imageLength = Math.min(end, b.length);
  info.trailingBytes = Math.max(0, b.length - end);

  const first = info.segments[0];
  if (first) {
    const app = readAppDescriptor(b, first.dataOffset);
    if (app) info.appDesc = app;
    else {
      const boot = readBootloaderDescriptor(b, first.dataOffset);
      if (boot) info.bootloaderDesc = boot;
    }
  }
  return { info, problems };
}
