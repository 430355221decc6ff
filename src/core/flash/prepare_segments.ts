/**
 * From WriteSegments to exactly the bytes each write sends: header patching (§6.2), padding,
 * host encryption, ROM sector alignment, compression, and the MD5 the flash must then hold.
 */
import { InputError, InternalError } from '../errors';
import { createHash } from 'node:crypto';
import { deflateCached, deflateInBackground, deflateShared } from './deflate_cache';
import type { ChipFacts } from '../chips';
import { encryptFlashData, type FlashKey } from '../crypto/flash_crypto';
import type { FlashSettings } from '../plan/flash_plan';
import { FLASH_SECTOR } from '../protocol/opcodes';
import type { WriteSegment } from './api';
import { patchImageHeader } from './image_header_patch';
import { canMd5, chooseWireMethod, type LoaderCaps, type WireMethod, type WriteMethod } from './write_method';

export interface PreparedSegment {
  index: number;
  name: string;
  /** The segment's own offset and its (padded, patched, maybe encrypted) bytes. */
  offset: number;
  image: Uint8Array;
  /** Where the write starts and what is sent (ROM: aligned down to 4 KiB with 0xFF in front). */
  writeOffset: number;
  data: Uint8Array;
  /** zlib stream of `data` when the method is compressed. */
  compressed?: Uint8Array;
  /** How it goes on the wire (chosen once, in write_method.ts); `method` and `methodText` repeat it. */
  wire: WireMethod;
  /** Compression was deferred (PrepareContext.deferCompression): finishWireLayout() does it before writing. */
  compressionPending?: boolean;
  method: WriteMethod;
  methodText: string;
  encrypt: WriteSegment['encrypt'];
  /**
   * The bytes the region [offset, offset + image.length) must hold after writing: the image
   * itself for plain and host-encrypted writes, the ciphertext the chip will store for
   * device-encrypted writes when the key is known; undefined when unknowable or unverifiable.
   */
  expected?: Uint8Array;
  /** MD5 (hex) of `expected`; undefined if unverifiable. */
  expectedMd5?: string;
  /** Why there is no expected MD5. */
  noVerifyReason?: string;
  /** Header patch note, when one was applied. */
  patchNote?: string;
  /** Size given by the caller (before padding). */
  originalSize: number;
}

export interface PrepareContext {
  loader: LoaderCaps;
  settings?: FlashSettings;
  detectedFlashSize?: number;
  secureBoot: boolean;
  compress: boolean;
  /**
   * Leave the compression for later (finishWireLayout): a segment found unchanged is never
   * compressed by it, and one compressed ahead (deflateAhead) is not compressed twice.
   */
  deferCompression?: boolean;
  /** Key for 'host' segments (required) and for verifying 'device' segments (optional). */
  key?: FlashKey;
  flashCryptConfig?: number;
}

function padTo(b: Uint8Array, n: number): Uint8Array {
  if (n <= 1 || b.length % n === 0) return b;
  const out = new Uint8Array(b.length + (n - (b.length % n))).fill(0xff);
  out.set(b);
  return out;
}

const md5hex = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

export function prepareSegment(s: WriteSegment, index: number, ctx: PrepareContext): PreparedSegment {
  const chip: ChipFacts = ctx.loader.chip;
  const l = ctx.loader;
  let bytes = s.bytes;
  let patchNote: string | undefined;
  // Patch the plaintext header (never ciphertext: host encryption happens after this step).
  if (!l.secureDownloadMode && !ctx.secureBoot) {
    const p = patchImageHeader(bytes, s.offset, chip, ctx.settings, ctx.detectedFlashSize, s.name);
    if (p.patched) {
      bytes = p.bytes;
      patchNote = p.note;
    }
  }
  const align = s.encrypt === 'off' ? 4 : Math.max(16, chip.encryptedWriteAlign);
  let image = padTo(bytes, align);
  const cryptOpts = { padTo: align, flashCryptConfig: ctx.flashCryptConfig, label: `segment "${s.name}"` };
  let expected: Uint8Array | undefined;
  let noVerifyReason: string | undefined;
  if (s.encrypt === 'host') {
    if (!ctx.key) throw new InputError(`Segment "${s.name}" is to be encrypted on the host, but no key was given.`, { segment: s.name, offset: s.offset });
    image = encryptFlashData(ctx.key, s.offset, image, cryptOpts);
    expected = image;
  } else if (s.encrypt === 'device') {
    if (ctx.key) expected = encryptFlashData(ctx.key, s.offset, image, cryptOpts);
    else noVerifyReason = 'encrypted by the device; give the key file to verify it';
  } else {
    expected = image;
  }
  if (expected && !canMd5(l)) {
    expected = undefined;
    noVerifyReason = 'the loader has no SPI_FLASH_MD5 (Secure Download Mode or ESP8266 ROM)';
  }
  const wire = wireLayout(image, s.offset, l, s.encrypt, ctx.compress, ctx.deferCompression);
  const prepared: PreparedSegment = {
    index,
    name: s.name,
    offset: s.offset,
    image,
    ...wire,
    encrypt: s.encrypt,
    originalSize: s.bytes.length,
  };
  if (expected) {
    prepared.expected = expected;
    prepared.expectedMd5 = md5hex(expected);
  }
  if (noVerifyReason) prepared.noVerifyReason = noVerifyReason;
  if (patchNote) prepared.patchNote = patchNote;
  return prepared;
}

/** What goes on the wire for `image` at `offset`: ROM sector alignment, then compression when it shrinks the data. */
export function wireLayout(
  image: Uint8Array,
  offset: number,
  l: LoaderCaps,
  encrypt: WriteSegment['encrypt'],
  compress: boolean,
  defer = false,
): { writeOffset: number; data: Uint8Array; compressed?: Uint8Array; compressionPending?: boolean; wire: WireMethod; method: WriteMethod; methodText: string } {
  const wanted = chooseWireMethod(encrypt, l, compress);
  const result = (w: WireMethod, extra: { writeOffset: number; data: Uint8Array; compressed?: Uint8Array; compressionPending?: boolean }) => ({
    ...extra,
    wire: w,
    method: w.method,
    methodText: w.text,
  });
  let writeOffset = offset;
  let data = image;
  if (wanted.sectorAlignedStart && offset % FLASH_SECTOR !== 0) {
    // The ROM needs a sector-aligned start: 0xFF in front (the sector is erased anyway, §2.3).
    writeOffset = offset - (offset % FLASH_SECTOR);
    data = new Uint8Array(image.length + (offset - writeOffset)).fill(0xff);
    data.set(image, offset - writeOffset);
  }
  if (wanted.compressed) {
    // Deferred: finishWireLayout() compresses right before the write (never for a skipped segment).
    if (defer) return result(wanted, { writeOffset, data, compressionPending: true });
    const compressed = deflateCached(data);
    if (compressed.length < data.length) return result(wanted, { writeOffset, data, compressed });
    return result(chooseWireMethod(encrypt, l, false), { writeOffset, data });
  }
  return result(wanted, { writeOffset, data });
}

/** Compressions started early (deflateAhead), by the exact bytes object a job asked for. */
const ahead = new WeakMap<Uint8Array, { release(): void }>();

/**
 * Start compressing these byte arrays now on a worker thread (while the job connects and the
 * chip hashes), so writing does not wait for it later: deflateInBackground, one compression per
 * distinct content however many jobs ask.
 */
export function deflateAhead(datas: Uint8Array[]): void {
  for (const d of datas) if (!ahead.has(d) && d.length > 0) ahead.set(d, deflateInBackground(d));
}

/** This job no longer needs these compressions (it is over); each stops once no job needs it. */
export function dropAhead(datas: Uint8Array[]): void {
  for (const d of datas) {
    ahead.get(d)?.release();
    ahead.delete(d);
  }
}

/**
 * Do a deferred compression (right before the segment is written), taking the result of a
 * compression started early (deflateAhead) when the wire data has the same bytes.
 */
export async function finishWireLayout(p: PreparedSegment, l: LoaderCaps): Promise<PreparedSegment> {
  if (!p.compressionPending) return p;
  const { compressionPending: _pending, ...rest } = p;
  // The stream is zlib_stream.ts's (why pako, not node:zlib, is said there).
  const compressed = await deflateShared(p.data);
  if (compressed.length < p.data.length) return { ...rest, compressed };
  const w = chooseWireMethod(p.encrypt, l, false);
  return { ...rest, wire: w, method: w.method, methodText: w.text };
}

/**
 * The part [start, end) of a prepared segment as a write of its own (incremental writes of
 * changed sectors): same encryption and name, its own wire layout. Compressed only when the
 * whole segment was chosen to be compressed.
 */
export function segmentPart(p: PreparedSegment, start: number, end: number, l: LoaderCaps, compress = p.wire.compressed): PreparedSegment {
  if (start < p.offset || end > p.offset + p.image.length || start >= end) {
    throw new InternalError(`Internal error: part 0x${start.toString(16)}–0x${end.toString(16)} is outside segment "${p.name}".`);
  }
  const image = p.image.subarray(start - p.offset, end - p.offset);
  const { compressed: _whole, expected: _e, expectedMd5: _m, compressionPending: _pending, ...rest } = p;
  return { ...rest, offset: start, image, ...wireLayout(image, start, l, p.encrypt, compress) };
}

/**
 * A compressed ROM write on a chip whose ROM writes past the end of a compressed write
 * (ChipFacts.romDeflateOverrun, the ESP32): the whole windows from its start but the last go
 * compressed, the rest (one window or more) uncompressed right after it — that write erases and
 * rewrites every byte the overrun touched. Shorter than two windows: uncompressed. Undefined
 * where nothing needs to change (a stub, an uncompressed write, another chip).
 */
export function romDeflateWindows(part: PreparedSegment, l: LoaderCaps): PreparedSegment[] | undefined {
  const win = l.chip.romDeflateOverrun;
  if (!win || l.stub || !part.wire.compressed) return undefined;
  const end = part.offset + part.image.length;
  const whole = Math.floor((end - part.writeOffset) / win) - 1;
  if (whole < 1) return [segmentPart(part, part.offset, end, l, false)];
  const split = part.writeOffset + whole * win;
  return [segmentPart(part, part.offset, split, l, true), segmentPart(part, split, end, l, false)];
}

/**
 * The writes a segment goes on the wire as, once the job knows which of its ranges to write
 * (`parts`: the whole prepared segment, or the changed-sector parts of it): the whole segment's
 * deferred compression is done here (finishWireLayout), and on a chip whose ROM overruns its
 * compressed writes (romDeflateWindows) each compressed part is split, with `note` saying how
 * many bytes went uncompressed and why.
 */
export async function wireParts(p: PreparedSegment, parts: PreparedSegment[], l: LoaderCaps): Promise<{ parts: PreparedSegment[]; note?: string }> {
  const windows = parts.map((x) => romDeflateWindows(x, l));
  if (windows.some(Boolean)) {
    const split = parts.flatMap((x, i) => windows[i] ?? [x]);
    const tail = windows.reduce((n, w) => n + (w ?? []).filter((x) => !x.wire.compressed).reduce((k, x) => k + x.image.length, 0), 0);
    return { parts: split, note: `0x${tail.toString(16)} bytes at the end sent uncompressed (the ${l.chip.displayName} ROM's compressed write overruns its end)` };
  }
  if (parts.length === 1 && parts[0] === p) return { parts: [await finishWireLayout(p, l)] };
  return { parts };
}
