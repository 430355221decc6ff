/**
 * The virtual chip's own flash-encryption engine (spec §5), independent of any host code so
 * that a host crypto bug is not mirrored here.
 *
 * - ESP32: AES-256 with a per-32-byte-row tweaked key chosen by FLASH_CRYPT_CONFIG; each
 *   16-byte block is byte-reversed, put through the AES *decrypt* primitive, reversed again.
 * - S2 and later: XTS-AES-128/256 over 128-byte data units, tweak = unit address (u32 LE) + 12
 *   zero bytes, the whole unit byte-reversed before and after.
 */
import * as crypto from 'node:crypto';

export type CryptScheme = 'esp32-aes' | 'xts-aes';

/** Offset-bit table of the ESP32 key tweak: P[n] = flash-address bit that flips key bit n. */
const ESP32_TWEAK_BITS: number[] = (() => {
  const table: number[] = [];
  for (let group = 0; group < 4; group++) {
    for (let run = 0; run < 3; run++) for (let bit = 23; bit >= 5; bit--) table.push(bit);
    for (let bit = 14 - 2 * group; bit >= 5; bit--) table.push(bit);
  }
  return table;
})();

/** Key bit n belongs to group 0 (n < 67), 1 (< 132), 2 (< 195) or 3. */
const ESP32_GROUP_OF_BIT: number[] = ESP32_TWEAK_BITS.map((_, n) => (n < 67 ? 0 : n < 132 ? 1 : n < 195 ? 2 : 3));

/** 24-byte (3/4 coding) ESP32 keys are extended as key[0..24] ++ key[8..16] (spec §5.1). */
export function normalizeEsp32Key(key: Uint8Array): Buffer {
  if (key.length === 32) return Buffer.from(key);
  if (key.length === 24) return Buffer.concat([Buffer.from(key), Buffer.from(key.subarray(8, 16))]);
  throw new Error(`ESP32 flash-encryption key must be 32 (or 24) bytes, got ${key.length}.`);
}

/** XTS key as the engine uses it: 16 bytes ⇒ SHA-256 of it (ESP32-C2 derived mode), 32 or 64 as-is. */
export function normalizeXtsKey(key: Uint8Array): Buffer {
  if (key.length === 16) return crypto.createHash('sha256').update(key).digest();
  if (key.length === 32 || key.length === 64) return Buffer.from(key);
  throw new Error(`XTS-AES flash-encryption key must be 16, 32 or 64 bytes, got ${key.length}.`);
}

export function esp32RowKey(key: Buffer, address: number, cryptConfig: number): Buffer {
  const k = Buffer.from(key);
  for (let n = 0; n < 256; n++) {
    if (!((cryptConfig >> ESP32_GROUP_OF_BIT[n]) & 1)) continue;
    if ((address >>> ESP32_TWEAK_BITS[n]) & 1) k[n >> 3] ^= 0x80 >> (n & 7);
  }
  return k;
}

function reversed(b: Uint8Array): Buffer {
  return Buffer.from(b).reverse();
}

function esp32Operation(encrypt: boolean, key: Uint8Array, address: number, data: Uint8Array, cryptConfig: number): Uint8Array {
  if (address % 16 !== 0 || data.length % 16 !== 0) {
    throw new Error(`ESP32 flash encryption needs 16-byte aligned address and length (got 0x${address.toString(16)}, ${data.length}).`);
  }
  const k = normalizeEsp32Key(key);
  const out = new Uint8Array(data.length);
  let rowKey: Buffer | undefined;
  let rowAddr = -1;
  for (let i = 0; i < data.length; i += 16) {
    const a = address + i;
    const row = a & ~31;
    if (row !== rowAddr) {
      rowKey = esp32RowKey(k, row, cryptConfig);
      rowAddr = row;
    }
    // Encryption uses the AES decrypt primitive, decryption the encrypt primitive.
    const c = encrypt ? crypto.createDecipheriv('aes-256-ecb', rowKey!, null) : crypto.createCipheriv('aes-256-ecb', rowKey!, null);
    c.setAutoPadding(false);
    const block = Buffer.concat([c.update(reversed(data.subarray(i, i + 16))), c.final()]);
    out.set(block.reverse(), i);
  }
  return out;
}

export function esp32Encrypt(key: Uint8Array, address: number, plain: Uint8Array, cryptConfig = 0xf): Uint8Array {
  return esp32Operation(true, key, address, plain, cryptConfig);
}

export function esp32Decrypt(key: Uint8Array, address: number, cipher: Uint8Array, cryptConfig = 0xf): Uint8Array {
  return esp32Operation(false, key, address, cipher, cryptConfig);
}

const XTS_UNIT = 128;

function xtsOperation(encrypt: boolean, key: Uint8Array, address: number, data: Uint8Array): Uint8Array {
  if (address % 16 !== 0 || data.length % 16 !== 0) {
    throw new Error(`XTS flash encryption needs 16-byte aligned address and length (got 0x${address.toString(16)}, ${data.length}).`);
  }
  const k = normalizeXtsKey(key);
  const algo = k.length === 32 ? 'aes-128-xts' : 'aes-256-xts';
  const out = new Uint8Array(data.length);
  const end = address + data.length;
  for (let unit = address - (address % XTS_UNIT); unit < end; unit += XTS_UNIT) {
    const from = Math.max(unit, address);
    const to = Math.min(unit + XTS_UNIT, end);
    const block = new Uint8Array(XTS_UNIT); // zero padding outside the real bytes
    block.set(data.subarray(from - address, to - address), from - unit);
    const tweak = Buffer.alloc(16);
    tweak.writeUInt32LE(unit >>> 0, 0);
    const c = encrypt ? crypto.createCipheriv(algo, k, tweak) : crypto.createDecipheriv(algo, k, tweak);
    c.setAutoPadding(false);
    const res = Buffer.concat([c.update(reversed(block)), c.final()]).reverse();
    out.set(res.subarray(from - unit, to - unit), from - address);
  }
  return out;
}

export function xtsEncrypt(key: Uint8Array, address: number, plain: Uint8Array): Uint8Array {
  return xtsOperation(true, key, address, plain);
}

export function xtsDecrypt(key: Uint8Array, address: number, cipher: Uint8Array): Uint8Array {
  return xtsOperation(false, key, address, cipher);
}

export interface FlashCipher {
  scheme: CryptScheme;
  encrypt(address: number, plain: Uint8Array): Uint8Array;
  decrypt(address: number, cipher: Uint8Array): Uint8Array;
}

export function flashCipher(scheme: CryptScheme, key: Uint8Array, cryptConfig = 0xf): FlashCipher {
  if (scheme === 'esp32-aes') {
    normalizeEsp32Key(key);
    return {
      scheme,
      encrypt: (a, d) => esp32Encrypt(key, a, d, cryptConfig),
      decrypt: (a, d) => esp32Decrypt(key, a, d, cryptConfig),
    };
  }
  normalizeXtsKey(key);
  return { scheme, encrypt: (a, d) => xtsEncrypt(key, a, d), decrypt: (a, d) => xtsDecrypt(key, a, d) };
}
