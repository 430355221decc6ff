/**
 * Flash crypto over data of any length at any 16-byte-aligned flash address, one piece at a
 * time. Both schemes treat each 16-byte block by its own address only, so a piece ends at a
 * block boundary and the rest (< 16 bytes) waits for the next piece.
 *
 * Padding (encryption only): the data is padded with 0xFF to a multiple of `padTo` (16 unless
 * told otherwise; the flasher passes the chip's encrypted-write alignment, 32 on ESP32), as
 * esptool pads files it writes encrypted. espsecure instead pads a final short ESP32 block with
 * random bytes and refuses short XTS data; for data that is already a multiple of 16 the
 * output is byte-identical to espsecure's.
 */
import { InputError, InternalError } from '../errors';
import { AES_BLOCK, type CryptDirection } from './crypt_direction';
import { esp32CryptBlocks } from './esp32_aes_blocks';
import { checkFlashCryptConfig } from './esp32_key_tweak';
import type { FlashKey } from './flash_key';
import { xtsCryptBlocks } from './xts_aes_blocks';

export interface FlashCryptOptions {
  /** ESP32 scheme only: the FLASH_CRYPT_CONFIG eFuse value (0x0…0xF). Default 0xF. */
  flashCryptConfig?: number;
  /** Encryption only: pad with 0xFF to a multiple of this many bytes (a multiple of 16). Default 16. */
  padTo?: number;
  /** Names the data in error messages, e.g. 'segment "app"' or a file name. */
  label?: string;
}

export const DEFAULT_FLASH_CRYPT_CONFIG = 0xf;
const ADDRESS_SPACE = 2 ** 32;
const PAD_BYTE = 0xff;

export const hex = (n: number): string => `0x${n.toString(16).toUpperCase()}`;

function prefix(opts: FlashCryptOptions | undefined): string {
  return opts?.label ? `${opts.label}: ` : '';
}

/** Throw with an actionable message unless `address` can start flash crypto. */
export function checkFlashAddress(address: number, opts?: FlashCryptOptions): void {
  if (!Number.isSafeInteger(address) || address < 0 || address >= ADDRESS_SPACE) {
    throw new InputError(`${prefix(opts)}flash address ${String(address)} is not an address in the 32-bit flash space.`);
  }
  if (address % AES_BLOCK !== 0) {
    throw new InputError(
      `${prefix(opts)}flash address ${hex(address)} is not a multiple of 16: flash encryption works on 16-byte ` +
        `blocks at 16-byte-aligned addresses (ESP32 encrypted writes need 32). Move the data to an aligned ` +
        `offset such as ${hex(address - (address % AES_BLOCK))}.`,
    );
  }
}

function checkPadTo(padTo: number, opts?: FlashCryptOptions): void {
  if (!Number.isSafeInteger(padTo) || padTo <= 0 || padTo % AES_BLOCK !== 0) {
    throw new InputError(`${prefix(opts)}padding unit ${String(padTo)} must be a positive multiple of 16 bytes.`);
  }
}

function checkEnd(address: number, length: number, opts?: FlashCryptOptions): void {
  if (address + length > ADDRESS_SPACE) {
    throw new InputError(`${prefix(opts)}${length} bytes at ${hex(address)} run past the end of the 32-bit flash address space.`);
  }
}

/** Encrypt or decrypt whole blocks into out[0 … data.length). */
export function cryptBlocksInto(key: FlashKey, address: number, data: Uint8Array, direction: CryptDirection, flashCryptConfig: number, out: Uint8Array): void {
  if (key.scheme === 'esp32-aes') esp32CryptBlocks(key.bytes, address, data, direction, flashCryptConfig, out);
  else xtsCryptBlocks(key.bytes, address, data, direction, out);
}

function resolvedOptions(key: FlashKey, address: number, opts?: FlashCryptOptions): { conf: number; padTo: number } {
  checkFlashAddress(address, opts);
  const conf = opts?.flashCryptConfig ?? DEFAULT_FLASH_CRYPT_CONFIG;
  if (key.scheme === 'esp32-aes') checkFlashCryptConfig(conf);
  const padTo = opts?.padTo ?? AES_BLOCK;
  checkPadTo(padTo, opts);
  return { conf, padTo };
}

function lengthError(length: number, opts?: FlashCryptOptions): Error {
  return new InputError(
    `${prefix(opts)}encrypted data is ${length} bytes long, not a multiple of 16: flash-encrypted data always is. ` + `Was the file cut short, or is it not flash ciphertext?`,
  );
}

/** Length of the output for `length` input bytes. */
export function cryptOutputLength(direction: CryptDirection, length: number, padTo = AES_BLOCK): number {
  if (direction === 'decrypt') return length;
  return Math.ceil(length / padTo) * padTo;
}

/** One-shot: the whole output in one buffer (no further copies). */
export function cryptFlashData(key: FlashKey, address: number, data: Uint8Array, direction: CryptDirection, opts?: FlashCryptOptions): Buffer {
  const { conf, padTo } = resolvedOptions(key, address, opts);
  if (direction === 'decrypt' && data.length % AES_BLOCK !== 0) throw lengthError(data.length, opts);
  const outLength = cryptOutputLength(direction, data.length, padTo);
  checkEnd(address, outLength, opts);
  const out = Buffer.alloc(outLength);
  const whole = data.length - (data.length % AES_BLOCK);
  cryptBlocksInto(key, address, data.subarray(0, whole), direction, conf, out);
  if (outLength > whole) {
    const tail = Buffer.alloc(outLength - whole, PAD_BYTE);
    tail.set(data.subarray(whole));
    cryptBlocksInto(key, address + whole, tail, direction, conf, out.subarray(whole));
  }
  return out;
}

/** Incremental form: feed pieces of any size with update(), then call final() once. */
export class FlashCipher {
  private carry = Buffer.alloc(0);
  private received = 0;
  private done = false;
  private readonly conf: number;
  private readonly padTo: number;

  constructor(
    readonly key: FlashKey,
    readonly address: number,
    readonly direction: CryptDirection,
    private readonly opts?: FlashCryptOptions,
  ) {
    ({ conf: this.conf, padTo: this.padTo } = resolvedOptions(key, address, opts));
  }

  /** Flash address of the next byte update() will take. */
  get nextAddress(): number {
    return this.address + this.received;
  }

  /** Process a piece; returns the output for every whole block received so far and not yet returned. */
  update(piece: Uint8Array): Buffer {
    if (this.done) throw new InternalError('internal: FlashCipher.update() after final()');
    checkEnd(this.address, this.received + piece.length, this.opts);
    let blockAddress = this.address + this.received - this.carry.length;
    this.received += piece.length;
    const available = this.carry.length + piece.length;
    const out = Buffer.alloc(available - (available % AES_BLOCK));
    let p = 0;
    let o = 0;
    if (this.carry.length) {
      // Complete the waiting block first, so the piece itself is never copied.
      const need = AES_BLOCK - this.carry.length;
      if (piece.length < need) {
        this.carry = Buffer.concat([this.carry, piece]);
        return out;
      }
      const block = Buffer.concat([this.carry, piece.subarray(0, need)]);
      cryptBlocksInto(this.key, blockAddress, block, this.direction, this.conf, out);
      blockAddress += AES_BLOCK;
      p = need;
      o = AES_BLOCK;
    }
    const whole = out.length - o;
    cryptBlocksInto(this.key, blockAddress, piece.subarray(p, p + whole), this.direction, this.conf, out.subarray(o));
    this.carry = Buffer.from(piece.subarray(p + whole));
    return out;
  }

  /** Output for the rest: padding (encryption), or an error for a short final block (decryption). */
  final(): Buffer {
    if (this.done) throw new InternalError('internal: FlashCipher.final() called twice');
    this.done = true;
    const total = cryptOutputLength(this.direction, this.received, this.padTo);
    if (this.direction === 'decrypt') {
      if (this.carry.length) throw lengthError(this.received, this.opts);
      return Buffer.alloc(0);
    }
    const tailLength = total - this.received + this.carry.length;
    if (tailLength === 0) return Buffer.alloc(0);
    checkEnd(this.address, total, this.opts);
    const tail = Buffer.alloc(tailLength, PAD_BYTE);
    tail.set(this.carry);
    const out = Buffer.alloc(tailLength);
    cryptBlocksInto(this.key, this.address + this.received - this.carry.length, tail, this.direction, this.conf, out);
    return out;
  }
}
