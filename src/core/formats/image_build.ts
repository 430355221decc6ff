/**
 * Writes an ESP32-family image (§6.1) from load segments, arranging flash-mapped segments so
 * their data sits at a file offset congruent to the load address modulo the MMU page (§6.3).
 * Used by ELF → image and by the self-made fixtures.
 */
import { createHash } from 'node:crypto';
import { chipFacts, type ChipName } from '../chips';
import { concatBytes, putU16, putU32, u32 } from './bytes';
import { FormatError } from './format_error';
import { flashFreqNibble, flashModeByte, flashSizeNibble } from './flash_params';
import { checksumPosition, imageChecksum, isFlashMapped } from './image_parse';
import { APP_DESC, APP_DESC_MAGIC, IMAGE_HEADER_LEN, IMAGE_MAGIC, IMAGE_MAX_SEGMENTS, SEGMENT_HEADER_LEN } from './image_format';

export interface ImageInputSegment {
  addr: number;
  data: Uint8Array;
  /** ELF section name(s), for ordering rules (.flash.appdesc, .dram0.bootdesc). */
  name?: string;
}

export interface BuildImageOptions {
  chip: ChipName;
  entry: number;
  flashMode: string;
  flashSize: string;
  flashFreq: string;
  /** Default 64 KiB. */
  mmuPageSize?: number;
  minRev?: number;
  minRevFull?: number;
  /** Default 65535 (no upper limit). */
  maxRevFull?: number;
  /** Default 0xEE (WP pin unused). */
  wpPin?: number;
  /** Append the SHA-256 digest (default true). */
  appendDigest?: boolean;
  /** Patched into the app descriptor's app_elf_sha256 when the image has one. */
  elfSha256?: Uint8Array;
}

export interface BuiltSegment {
  addr: number;
  length: number;
  kind: 'flash' | 'ram' | 'filler';
}

export interface BuiltImage {
  bytes: Uint8Array;
  segments: BuiltSegment[];
}

interface WorkSegment {
  addr: number;
  data: Uint8Array;
  name: string;
}

function pad4(data: Uint8Array): Uint8Array {
  if (data.length % 4 === 0) return data;
  const out = new Uint8Array(data.length + (4 - (data.length % 4)));
  out.set(data);
  return out;
}

/** Which mapping window an address falls in, so merges never join IROM with DROM. */
function windowOf(chip: ChipName, addr: number): string {
  const f = chipFacts(chip);
  if (addr >= f.irom[0] && addr < f.irom[1]) return 'irom';
  if (addr >= f.drom[0] && addr < f.drom[1]) return 'drom';
  return 'ram';
}

/** Joins segments whose data is contiguous in the address space and in the same window. */
export function mergeAdjacent(chip: ChipName, segs: ImageInputSegment[]): WorkSegment[] {
  const sorted = segs
    .filter((s) => s.data.length > 0)
    .map((s) => ({ addr: s.addr >>> 0, data: s.data, name: s.name ?? '' }))
    .sort((a, b) => a.addr - b.addr);
  const out: WorkSegment[] = [];
  for (const s of sorted) {
    const prev = out[out.length - 1];
    if (prev && prev.addr + prev.data.length === s.addr && windowOf(chip, prev.addr) === windowOf(chip, s.addr)) {
      prev.data = concatBytes([prev.data, s.data]);
      prev.name = `${prev.name} ${s.name}`.trim();
    } else out.push({ ...s });
  }
  return out.map((s) => ({ ...s, data: pad4(s.data) }));
}

function moveFirst(list: WorkSegment[], pick: (s: WorkSegment) => boolean): void {
  const i = list.findIndex(pick);
  if (i > 0) list.unshift(...list.splice(i, 1));
}

export function buildImage(input: ImageInputSegment[], opts: BuildImageOptions): BuiltImage {
  const facts = chipFacts(opts.chip);
  if (facts.imageChipId === undefined) {
    throw new FormatError(`${facts.displayName} images have no extended header; this tool writes ESP32-family images only.`);
  }
  const mode = flashModeByte(opts.flashMode);
  const size = flashSizeNibble(opts.flashSize);
  const freq = flashFreqNibble(opts.chip, opts.flashFreq);
  if (mode === undefined) throw new FormatError(`Flash mode "${opts.flashMode}" is not one of qio, qout, dio, dout.`);
  if (size === undefined) throw new FormatError(`Flash size "${opts.flashSize}" is not one of 1MB … 128MB.`);
  if (freq === undefined) {
    throw new FormatError(`Flash frequency "${opts.flashFreq}" is not valid for ${facts.displayName} (valid: ${Object.keys(facts.flashFreq).join(', ')}).`);
  }
  const page = opts.mmuPageSize ?? 0x10000;

  const merged = mergeAdjacent(opts.chip, input);
  const flash = merged.filter((s) => isFlashMapped(opts.chip, s.addr));
  const ram = merged.filter((s) => !isFlashMapped(opts.chip, s.addr));
  const hasAppDesc = (s: WorkSegment) => /\.flash\.appdesc\b/.test(s.name) || (s.data.length >= 4 && u32(s.data, 0) === APP_DESC_MAGIC);
  moveFirst(flash, hasAppDesc);
  moveFirst(ram, (s) => /\.dram0\.bootdesc\b/.test(s.name));

  const parts: Uint8Array[] = [];
  const built: BuiltSegment[] = [];
  let pos = IMAGE_HEADER_LEN;
  const emit = (addr: number, data: Uint8Array, kind: BuiltSegment['kind']) => {
    const h = new Uint8Array(SEGMENT_HEADER_LEN);
    putU32(h, 0, addr);
    putU32(h, 4, data.length);
    parts.push(h, data);
    built.push({ addr, length: data.length, kind });
    pos += SEGMENT_HEADER_LEN + data.length;
  };

  for (let fi = 0; fi < flash.length; fi++) {
    const seg = flash[fi];
    for (;;) {
      const p = (((seg.addr - SEGMENT_HEADER_LEN - pos) % page) + page) % page;
      if (p === 0) break;
      const fill = p > SEGMENT_HEADER_LEN ? p - SEGMENT_HEADER_LEN : p + page - SEGMENT_HEADER_LEN;
      if (ram.length > 0 && fill > SEGMENT_HEADER_LEN) {
        const r = ram[0];
        const take = Math.min(fill, r.data.length);
        emit(r.addr, r.data.subarray(0, take), 'ram');
        r.addr += take;
        r.data = r.data.subarray(take);
        if (r.data.length === 0) ram.shift();
      } else emit(0, new Uint8Array(fill), 'filler');
    }
    let data = seg.data;
    if (fi === 0 && opts.elfSha256 && data.length >= APP_DESC.size && u32(data, 0) === APP_DESC_MAGIC) {
      data = Uint8Array.from(data);
      data.set(opts.elfSha256.subarray(0, 32), APP_DESC.elfSha256);
    }
    const minTail = facts.imageFlashSegmentMinTail;
    if (minTail > 0) {
      const remainder = (pos + SEGMENT_HEADER_LEN + data.length) % page;
      if (remainder < minTail) data = concatBytes([data, new Uint8Array(minTail - remainder)]);
    }
    emit(seg.addr, data, 'flash');
  }
  for (const r of ram) emit(r.addr, r.data, 'ram');

  if (built.length === 0) throw new FormatError('The image would have no segments: nothing to load.');
  if (built.length > IMAGE_MAX_SEGMENTS) {
    throw new FormatError(`The image would have ${built.length} segments; the ROM loads at most ${IMAGE_MAX_SEGMENTS}.`);
  }

  const header = new Uint8Array(IMAGE_HEADER_LEN);
  header[0] = IMAGE_MAGIC;
  header[1] = built.length;
  header[2] = mode;
  header[3] = (size << 4) | freq;
  putU32(header, 4, opts.entry);
  header[8] = opts.wpPin ?? 0xee;
  putU16(header, 12, facts.imageChipId);
  header[14] = opts.minRev ?? 0;
  putU16(header, 15, opts.minRevFull ?? 0);
  putU16(header, 17, opts.maxRevFull ?? 0xffff);
  const digest = opts.appendDigest ?? true;
  header[23] = digest ? 1 : 0;

  const segData = parts.filter((_, i) => i % 2 === 1);
  const csPos = checksumPosition(pos);
  const footer = new Uint8Array(csPos - pos + 1);
  footer[footer.length - 1] = imageChecksum(segData);
  let bytes = concatBytes([header, ...parts, footer]);
  if (digest) bytes = concatBytes([bytes, createHash('sha256').update(bytes).digest()]);
  return { bytes, segments: built };
}
