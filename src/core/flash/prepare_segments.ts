/**
 * From WriteSegments to exactly the bytes each write sends: header patching (§6.2), padding,
 * host encryption, ROM sector alignment, compression, and the MD5 the flash must then hold.
 */
import { createHash } from 'node:crypto';
import pako from 'pako';
import type { ChipFacts } from '../chips';
import { encryptFlashData, expectedCiphertextMd5, type FlashKey } from '../crypto/flash_crypto';
import type { FlashSettings } from '../plan/flash_plan';
import { FLASH_SECTOR } from '../protocol/opcodes';
import type { WriteSegment } from './api';
import { patchImageHeader } from './image_header_patch';
import { canMd5, chooseMethod, describeMethod, isCompressed, uncompressedVariant, type LoaderCaps, type WriteMethod } from './write_method';

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
  method: WriteMethod;
  methodText: string;
  encrypt: WriteSegment['encrypt'];
  /** MD5 (hex) the region [offset, offset + image.length) must have after writing; undefined if unverifiable. */
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
  let expectedMd5: string | undefined;
  let noVerifyReason: string | undefined;
  if (s.encrypt === 'host') {
    if (!ctx.key) throw new Error(`Segment "${s.name}" is to be encrypted on the host, but no key was given.`);
    image = encryptFlashData(ctx.key, s.offset, image, cryptOpts);
    expectedMd5 = md5hex(image);
  } else if (s.encrypt === 'device') {
    if (ctx.key) expectedMd5 = expectedCiphertextMd5(ctx.key, s.offset, image, cryptOpts);
    else noVerifyReason = 'encrypted by the device; give the key file to verify it';
  } else {
    expectedMd5 = md5hex(image);
  }
  if (expectedMd5 && !canMd5(l)) {
    expectedMd5 = undefined;
    noVerifyReason = 'the loader has no SPI_FLASH_MD5 (Secure Download Mode or ESP8266 ROM)';
  }
  let writeOffset = s.offset;
  let data = image;
  if (!l.stub && s.offset % FLASH_SECTOR !== 0) {
    writeOffset = s.offset - (s.offset % FLASH_SECTOR);
    data = new Uint8Array(image.length + (s.offset - writeOffset)).fill(0xff);
    data.set(image, s.offset - writeOffset);
  }
  let method = chooseMethod(s.encrypt, l, ctx.compress);
  let compressed: Uint8Array | undefined;
  if (isCompressed(method)) {
    compressed = pako.deflate(data, { level: 9 });
    if (compressed.length >= data.length) {
      compressed = undefined;
      method = uncompressedVariant(method);
    }
  }
  const prepared: PreparedSegment = {
    index,
    name: s.name,
    offset: s.offset,
    image,
    writeOffset,
    data,
    method,
    methodText: describeMethod(method, l),
    encrypt: s.encrypt,
    originalSize: s.bytes.length,
  };
  if (compressed) prepared.compressed = compressed;
  if (expectedMd5) prepared.expectedMd5 = expectedMd5;
  if (noVerifyReason) prepared.noVerifyReason = noVerifyReason;
  if (patchNote) prepared.patchNote = patchNote;
  return prepared;
}
