/**
 * How a segment goes on the wire, decided once per segment from the loader in use (ROM, or a
 * stub with its capabilities from stub_capabilities.ts), the chip's facts (chips.ts) and the
 * segment's encryption (§4.3 variants A/B/C). The result, a WireMethod record, is what the
 * segment writer and the loader session execute; neither decides anything about it again.
 *   compressed            FLASH_DEFL_BEGIN/DATA/END
 *   plain                 FLASH_BEGIN/DATA(/END)
 *   encrypted             FLASH_BEGIN with 5th word 1 + FLASH_DATA (ROM of S2 and newer; stubs)
 *   encrypted-compressed  FLASH_DEFL_BEGIN with 5th word 1 (only stubs whose table entry allows it)
 *   encrypted-d4          16-byte FLASH_BEGIN + FLASH_ENCRYPT_DATA 0xD4 (stubs whose table says so)
 *   host-encrypted        ciphertext computed by the host, written with 'plain' or 'compressed'
 */
import { InternalError } from '../errors';
import type { ChipFacts } from '../chips';
import type { EncryptMode } from '../plan/flash_plan';
import { Op, ROM_FLASH_BLOCK } from '../protocol/opcodes';
import type { FlashDataOp } from '../protocol/loader_session';
import type { StubRelease } from '../protocol/stub_capabilities';

export type WriteMethod = 'compressed' | 'plain' | 'encrypted' | 'encrypted-compressed' | 'encrypted-d4' | 'host-encrypted';

export interface LoaderCaps {
  chip: ChipFacts;
  /** The running stub's capabilities; undefined when the ROM loader answers. */
  stub?: StubRelease;
  secureDownloadMode: boolean;
}

/** The decision for one segment: what the writer sends and what the session puts in BEGIN. */
export interface WireMethod {
  method: WriteMethod;
  compressed: boolean;
  /** The loader encrypts what it writes (device encryption). */
  deviceEncrypted: boolean;
  beginOp: typeof Op.FLASH_BEGIN | typeof Op.FLASH_DEFL_BEGIN;
  dataOp: FlashDataOp;
  endOp: typeof Op.FLASH_END | typeof Op.FLASH_DEFL_END;
  /** 5th BEGIN word (the encrypt flag), or undefined for a 16-byte BEGIN. */
  beginEncryptWord?: 0 | 1;
  /** Data block size. */
  blockSize: number;
  /** The write must start on a 4 KiB sector (the ROM loader). */
  sectorAlignedStart: boolean;
  /** END closes the write and reports the last block's result (stubs; the ROM is left in the loader). */
  sendsEnd: boolean;
  /** For logs: "compressed (esp-flasher-stub v1.2.2)". */
  text: string;
}

/** The loader can take FLASH_DEFL_* (stub, or an ESP32-and-later ROM outside Secure Download Mode). */
export function canCompress(l: LoaderCaps): boolean {
  if (l.stub) return l.stub.compressedWrites;
  return l.chip.romHasEsp32Commands && !l.secureDownloadMode;
}

/** The loader answers SPI_FLASH_MD5. */
export function canMd5(l: LoaderCaps): boolean {
  if (l.stub) return l.stub.md5;
  return l.chip.romHasEsp32Commands && !l.secureDownloadMode;
}

/**
 * Why the loader cannot write this chip's flash encrypted, or undefined when it can. The one
 * rule: safety checks refuse with it, and chooseWireMethod never picks a route it rules out.
 */
export function deviceEncryptionUnavailable(l: LoaderCaps): string | undefined {
  if (l.chip.cryptScheme === 'none') return `${l.chip.displayName} has no flash encryption`;
  if (l.stub) return undefined; // every stub route in the table encrypts (flag or 0xD4)
  if (!l.chip.romEncryptedFlag) return `the ${l.chip.displayName} ROM loader cannot encrypt while writing — it would silently write plaintext`;
  return undefined;
}

function loaderName(l: LoaderCaps): string {
  return l.stub ? l.stub.name : 'ROM';
}

/**
 * The write method for a segment: `compress` is the user's wish (default on); compression is
 * used only where the loader takes it for this kind of write. Throws if device encryption is
 * asked of a loader that cannot do it (the safety checks refuse that earlier, with advice).
 */
export function chooseWireMethod(encrypt: EncryptMode, l: LoaderCaps, compress: boolean): WireMethod {
  const rom = !l.stub;
  const blockSize = l.stub ? l.stub.maxBlockSize : ROM_FLASH_BLOCK;
  // The ROM of S2 and later takes the 20-byte BEGIN; esptool sends it with 0 for plain writes too.
  const romFlag = rom && l.chip.romEncryptedFlag;
  const base = { blockSize, sectorAlignedStart: rom, sendsEnd: !rom };
  const plainWord = romFlag ? ({ beginEncryptWord: 0 } as const) : {};
  const zip = compress && canCompress(l);
  if (encrypt === 'host') {
    // Ciphertext does not deflate: written plain.
    return {
      method: 'host-encrypted',
      compressed: false,
      deviceEncrypted: false,
      ...ops(false, false),
      ...plainWord,
      ...base,
      text: `host-encrypted ciphertext, plain write (${loaderName(l)})`,
    };
  }
  if (encrypt === 'off') {
    return {
      method: zip ? 'compressed' : 'plain',
      compressed: zip,
      deviceEncrypted: false,
      ...ops(zip, false),
      ...plainWord,
      ...base,
      text: `${zip ? 'compressed' : 'plain'} (${loaderName(l)})`,
    };
  }
  const why = deviceEncryptionUnavailable(l);
  if (why) throw new InternalError(`Internal error: device encryption was chosen although ${why}.`);
  if (l.stub?.encryptedWrites === 'encrypt-data-op') {
    return { method: 'encrypted-d4', compressed: false, deviceEncrypted: true, ...ops(false, true), ...base, text: `device-encrypted (${loaderName(l)}, FLASH_ENCRYPT_DATA)` };
  }
  if (zip && l.stub?.compressedEncryptedWrites) {
    return {
      method: 'encrypted-compressed',
      compressed: true,
      deviceEncrypted: true,
      ...ops(true, false),
      beginEncryptWord: 1,
      ...base,
      text: `device-encrypted, compressed (${loaderName(l)})`,
    };
  }
  return {
    method: 'encrypted',
    compressed: false,
    deviceEncrypted: true,
    ...ops(false, false),
    beginEncryptWord: 1,
    ...base,
    text: `device-encrypted (${loaderName(l)}, FLASH_BEGIN encrypted flag)`,
  };
}

function ops(compressed: boolean, encryptOp: boolean): Pick<WireMethod, 'beginOp' | 'dataOp' | 'endOp'> {
  if (compressed) return { beginOp: Op.FLASH_DEFL_BEGIN, dataOp: Op.FLASH_DEFL_DATA, endOp: Op.FLASH_DEFL_END };
  return { beginOp: Op.FLASH_BEGIN, dataOp: encryptOp ? Op.FLASH_ENCRYPT_DATA : Op.FLASH_DATA, endOp: Op.FLASH_END };
}

export function isCompressed(m: WriteMethod): boolean {
  return m === 'compressed' || m === 'encrypted-compressed';
}
