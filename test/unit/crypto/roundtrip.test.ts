import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { decryptFlashData, encryptFlashData, expectedCiphertextMd5, keyFromBytes, type CryptScheme } from '../../../src/core/crypto/flash_crypto';
import { SeededRandom } from './seeded_random';

const rnd = new SeededRandom(0xc0ffee);
const KEY_LENGTHS: [CryptScheme, number][] = [
  ['esp32-aes', 24],
  ['esp32-aes', 32],
  ['xts-aes', 16],
  ['xts-aes', 32],
  ['xts-aes', 64],
];
const ADDRESSES = [0x0, 0x10, 0x1230, 0x10070, 0xfffff0, 0x1000010, 0xffffe000];
const LENGTHS = [1, 15, 16, 17, 127, 129, 1000, 4097];

describe('crypto: round trips at odd offsets and lengths', () => {
  for (const [scheme, keyLength] of KEY_LENGTHS) {
    it(`${scheme} with a ${keyLength}-byte key: decrypt(encrypt(x)) is x plus 0xFF padding`, () => {
      const key = keyFromBytes(rnd.bytes(keyLength), scheme);
      for (const address of ADDRESSES) {
        for (const length of LENGTHS) {
          const plain = rnd.bytes(length);
          const enc = encryptFlashData(key, address, plain);
          const padded = Math.ceil(length / 16) * 16;
          assert.equal(enc.length, padded);
          assert.ok(!enc.subarray(0, 16).equals(Buffer.concat([plain, Buffer.alloc(16, 0xff)]).subarray(0, 16)));
          const back = decryptFlashData(key, address, enc);
          assert.ok(back.subarray(0, length).equals(plain), `@0x${address.toString(16)} len ${length}`);
          assert.ok(back.subarray(length).equals(Buffer.alloc(padded - length, 0xff)));
        }
      }
    });
  }

  it('pads to padTo (32 on ESP32) with 0xFF, the same as padding the plaintext first', () => {
    const key = keyFromBytes(rnd.bytes(32), 'esp32-aes');
    const plain = rnd.bytes(40);
    const enc = encryptFlashData(key, 0x8000, plain, { padTo: 32 });
    assert.equal(enc.length, 64);
    assert.ok(enc.equals(encryptFlashData(key, 0x8000, Buffer.concat([plain, Buffer.alloc(24, 0xff)]))));
  });

  it('empty data gives empty output', () => {
    const key = keyFromBytes(rnd.bytes(32), 'xts-aes');
    assert.equal(encryptFlashData(key, 0x1000, Buffer.alloc(0)).length, 0);
  });

  it('a 24-byte ESP32 key is the 32-byte key k[0..24] ++ k[8..16]', () => {
    const k24 = rnd.bytes(24);
    const plain = rnd.bytes(256);
    const a = encryptFlashData(keyFromBytes(k24, 'esp32-aes'), 0x1000, plain);
    const b = encryptFlashData(keyFromBytes(Buffer.concat([k24, k24.subarray(8, 16)]), 'esp32-aes'), 0x1000, plain);
    assert.ok(a.equals(b));
  });
});

describe('crypto: what the address does', () => {
  const block = rnd.bytes(16);
  const esp32 = keyFromBytes(rnd.bytes(32), 'esp32-aes');
  const xts = keyFromBytes(rnd.bytes(32), 'xts-aes');
  const at = (key: typeof esp32, address: number, conf?: number): Buffer => encryptFlashData(key, address, block, { flashCryptConfig: conf });

  it('ESP32: the two blocks of one 32-byte row share a key; other rows do not (conf 0xF)', () => {
    assert.ok(at(esp32, 0x1000).equals(at(esp32, 0x1010)));
    assert.ok(!at(esp32, 0x1000).equals(at(esp32, 0x1020)));
    // Address bits above 23 take no part in the tweak.
    assert.ok(at(esp32, 0x1000).equals(at(esp32, 0x1001000)));
  });

  it('ESP32: conf 0 uses the plain key everywhere; conf 1 tweaks with group 0 only', () => {
    assert.ok(at(esp32, 0x1000, 0).equals(at(esp32, 0x7fe0, 0)));
    assert.ok(!at(esp32, 0x1000, 1).equals(at(esp32, 0x7fe0, 1)));
    const confs = new Set(Array.from({ length: 16 }, (_, c) => at(esp32, 0x12340, c).toString('hex')));
    assert.equal(confs.size, 16, 'each FLASH_CRYPT_CONFIG gives its own ciphertext at 0x12340');
  });

  it('XTS: every 16-byte block of a 128-byte unit is encrypted differently, and every unit', () => {
    const seen = new Set<string>();
    for (let a = 0x2000; a < 0x2100; a += 16) seen.add(at(xts, a).toString('hex'));
    assert.equal(seen.size, 16);
  });
});

describe('crypto: expectedCiphertextMd5', () => {
  it('equals the MD5 of encryptFlashData output for data larger than one piece, with padTo', () => {
    for (const [scheme, keyLength] of KEY_LENGTHS) {
      const key = keyFromBytes(rnd.bytes(keyLength), scheme);
      const plain = rnd.bytes(200_003);
      const opts = { padTo: 32, flashCryptConfig: 0xf };
      const want = crypto
        .createHash('md5')
        .update(encryptFlashData(key, 0x10000, plain, opts))
        .digest('hex');
      assert.equal(expectedCiphertextMd5(key, 0x10000, plain, opts), want);
      assert.match(want, /^[0-9a-f]{32}$/);
      assert.notEqual(expectedCiphertextMd5(key, 0x10020, plain, opts), want);
    }
  });
});
