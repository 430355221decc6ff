/**
 * ESP32 flash encryption scheme on whole 16-byte blocks (esp-serial-protocol.md §5.2):
 * each block is byte-reversed, run through the AES-256 *decryption* primitive (to encrypt) or
 * the *encryption* primitive (to decrypt) with its row's tweaked key, and reversed back.
 * Blocks are independent, so any 16-byte-aligned piece can be processed on its own.
 */
import * as crypto from 'node:crypto';
import { AES_BLOCK, copyReversed, type CryptDirection } from './crypt_direction';
import { esp32RowKey } from './esp32_key_tweak';

const ROW = 32;

/**
 * Write the result for `data` (at flash address `address`) into out[0 … data.length).
 * `address` and `data.length` must be multiples of 16 (checked by the caller).
 */
export function esp32CryptBlocks(key: Buffer, address: number, data: Uint8Array, direction: CryptDirection, flashCryptConfig: number, out: Uint8Array): void {
  const scratch = Buffer.alloc(ROW);
  let pos = 0;
  while (pos < data.length) {
    const a = address + pos;
    const rowStart = a - (a % ROW);
    const len = Math.min(rowStart + ROW - a, data.length - pos);
    const rowKey = esp32RowKey(key, rowStart, flashCryptConfig);
    // "Inverted" AES: the hardware's encryption is the AES decryption primitive.
    const aes = direction === 'encrypt' ? crypto.createDecipheriv('aes-256-ecb', rowKey, null) : crypto.createCipheriv('aes-256-ecb', rowKey, null);
    aes.setAutoPadding(false);
    for (let b = 0; b < len; b += AES_BLOCK) copyReversed(data, pos + b, scratch, b, AES_BLOCK);
    const result = aes.update(scratch.subarray(0, len));
    for (let b = 0; b < len; b += AES_BLOCK) copyReversed(result, b, out, pos + b, AES_BLOCK);
    pos += len;
  }
}
