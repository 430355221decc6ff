/**
 * Host-side flash encryption, as espsecure encrypt-flash-data / decrypt-flash-data do it
 * (esp-serial-protocol.md §5): the public entry points for the flasher, the CLI and tests.
 *
 *   const key = loadKeyFile('key.bin', 'esp32c3');
 *   const cipher = encryptFlashData(key, 0x10000, plain, { padTo: chipFacts('esp32c3').encryptedWriteAlign });
 *   const md5 = expectedCiphertextMd5(key, 0x10000, plain, { padTo: 16 }); // compare with SPI_FLASH_MD5
 *
 * The flasher's 'host' mode: resolveHostKey() after connecting, hostKeyWriteCheck() and
 * encryptedSegmentAlignmentCheck() before writing, encryptFlashData() with
 * padTo = chip.encryptedWriteAlign, then an ordinary (compressed or not) write of the result.
 */
import * as crypto from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { cryptFlashData, FlashCipher, type FlashCryptOptions } from './flash_cipher';
import type { FlashKey } from './flash_key';

export { checkFlashAddress, cryptOutputLength, DEFAULT_FLASH_CRYPT_CONFIG, FlashCipher } from './flash_cipher';
export type { FlashCryptOptions } from './flash_cipher';
export type { CryptDirection } from './crypt_direction';
export { chipKeyLengths, keyChipMismatch, keyForChip, keyFromBytes, loadKeyFile, loadSchemeKeyFile, SCHEME_KEY_LENGTHS } from './flash_key';
export type { CryptScheme, FlashKey } from './flash_key';
export { encryptedSegmentAlignmentCheck, hostKeyWriteCheck } from './host_key_check';
export type { HostKeyCheckOptions, HostKeyDeviceState } from './host_key_check';
export { deviceKeyFileName, resolveHostKey } from './device_key_file';
export { newFlashKey, writeNewKeyFile } from './key_generation';

/** Ciphertext for `data` written at flash `address` (padded with 0xFF to `padTo`, default 16). */
export function encryptFlashData(key: FlashKey, address: number, data: Uint8Array, opts?: FlashCryptOptions): Buffer {
  return cryptFlashData(key, address, data, 'encrypt', opts);
}

/** Plaintext for ciphertext read from flash `address`; the length must be a multiple of 16. */
export function decryptFlashData(key: FlashKey, address: number, data: Uint8Array, opts?: FlashCryptOptions): Buffer {
  return cryptFlashData(key, address, data, 'decrypt', opts);
}

class FlashCryptTransform extends Transform {
  constructor(private readonly cipher: FlashCipher) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      const out = this.cipher.update(chunk);
      done(null, out.length ? out : undefined);
    } catch (e) {
      done(e as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      const out = this.cipher.final();
      done(null, out.length ? out : undefined);
    } catch (e) {
      done(e as Error);
    }
  }
}

/** A Transform stream that encrypts what flows through it, for files of any size. */
export function createFlashEncryptStream(key: FlashKey, address: number, opts?: FlashCryptOptions): Transform {
  return new FlashCryptTransform(new FlashCipher(key, address, 'encrypt', opts));
}

/** A Transform stream that decrypts what flows through it. */
export function createFlashDecryptStream(key: FlashKey, address: number, opts?: FlashCryptOptions): Transform {
  return new FlashCryptTransform(new FlashCipher(key, address, 'decrypt', opts));
}

/** Piece size for streaming work over in-memory data. */
const PIECE = 64 * 1024;

/**
 * MD5 (lower-case hex, as the ROM's SPI_FLASH_MD5 reply spells it) of the ciphertext that
 * `plain` becomes at `address` — padded as encryptFlashData pads it, so pass the same
 * options the write used. Works piece by piece: no copy of the whole ciphertext is made.
 */
export function expectedCiphertextMd5(key: FlashKey, address: number, plain: Uint8Array, opts?: FlashCryptOptions): string {
  const cipher = new FlashCipher(key, address, 'encrypt', opts);
  const md5 = crypto.createHash('md5');
  for (let p = 0; p < plain.length; p += PIECE) md5.update(cipher.update(plain.subarray(p, p + PIECE)));
  md5.update(cipher.final());
  return md5.digest('hex');
}
