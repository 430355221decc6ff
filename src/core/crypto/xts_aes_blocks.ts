/**
 * XTS-AES flash encryption (S2 and later; esp-serial-protocol.md §5.3) on whole 16-byte blocks.
 *
 * Data unit = 128 bytes at a 128-byte-aligned flash address U; tweak = U as u32 LE + 12 zero
 * bytes; the unit is byte-reversed, run through standard XTS-AES, and reversed back. A partial
 * unit is handled as espsecure does: conceptually zero-filled around the real bytes, which are
 * then cut out again. XTS treats each 16-byte block of a unit on its own (no ciphertext
 * stealing at 128 bytes), so the result does not depend on how the data was split.
 */
import { InternalError } from '../errors';
import * as crypto from 'node:crypto';
import { copyReversed, type CryptDirection } from './crypt_direction';

export const XTS_UNIT = 128;

export function xtsCipherName(keyBytes: number): 'aes-128-xts' | 'aes-256-xts' {
  if (keyBytes === 32) return 'aes-128-xts';
  if (keyBytes === 64) return 'aes-256-xts';
  throw new InternalError(`internal: an XTS key is 32 or 64 bytes after loading, got ${keyBytes}`);
}

/**
 * Write the result for `data` (at flash address `address`) into out[0 … data.length).
 * `address` and `data.length` must be multiples of 16 (checked by the caller).
 */
export function xtsCryptBlocks(key: Buffer, address: number, data: Uint8Array, direction: CryptDirection, out: Uint8Array): void {
  const name = xtsCipherName(key.length);
  const unit = Buffer.alloc(XTS_UNIT);
  const tweak = Buffer.alloc(16);
  let pos = 0;
  while (pos < data.length) {
    const a = address + pos;
    const unitStart = a - (a % XTS_UNIT);
    const from = a - unitStart;
    const to = Math.min(XTS_UNIT, from + data.length - pos);
    // Reversed unit: unit byte i sits at 127 - i; bytes outside [from, to) are the zero padding.
    unit.fill(0);
    copyReversed(data, pos, unit, XTS_UNIT - to, to - from);
    tweak.writeUInt32LE(unitStart, 0);
    const xts = direction === 'encrypt' ? crypto.createCipheriv(name, key, tweak) : crypto.createDecipheriv(name, key, tweak);
    const result = xts.update(unit);
    copyReversed(result, XTS_UNIT - to, out, pos, to - from);
    pos += to - from;
  }
}
