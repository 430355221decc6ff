import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { esp32Decrypt, esp32Encrypt, esp32RowKey, normalizeEsp32Key, xtsDecrypt, xtsEncrypt } from '../../../src/sim/sim_crypto';
import { sharedDir } from './sim_test_helpers';

const shared = sharedDir();

describe('sim flash-encryption engine: published vectors (../shared/vectors)', () => {
  if (!shared) {
    it('shared corpus not present: skipped', function () {
      console.log('      shared corpus not present (../shared/vectors): vector tests skipped');
      this.skip();
    });
    return;
  }
  const v = (f: string): Uint8Array => new Uint8Array(fs.readFileSync(path.join(shared, 'vectors', f)));
  const bootloader = v('bootloader.bin');
  const hello = v('hello-world-signed.bin');

  const esp32Cases: [string, string, number, number, Uint8Array, string][] = [
    ['bootloader, conf 0xF', '256bit_key.bin', 0x1000, 0xf, bootloader, 'bootloader-encrypted.bin'],
    ['bootloader, conf 0x0', '256bit_key.bin', 0x1000, 0x0, bootloader, 'bootloader-encrypted-conf0.bin'],
    ['bootloader, conf 0x9', '256bit_key.bin', 0x1000, 0x9, bootloader, 'bootloader-encrypted-conf9.bin'],
    ['hello-world app, conf 0xF', 'ef-flashencryption-key.bin', 0x20000, 0xf, hello, 'hello-world-signed-encrypted.bin'],
  ];
  for (const [name, key, addr, conf, plain, expected] of esp32Cases) {
    it(`ESP32 AES-256 scheme reproduces ${expected} (${name}) and decrypts it back`, () => {
      const ct = esp32Encrypt(v(key), addr, plain, conf);
      assert.ok(Buffer.from(ct).equals(Buffer.from(v(expected))), `ciphertext differs from ${expected}`);
      assert.ok(Buffer.from(esp32Decrypt(v(key), addr, v(expected), conf)).equals(Buffer.from(plain)));
    });
  }

  const xtsCases: [string, number, Uint8Array, string][] = [
    ['256bit_key.bin', 0x1000, bootloader, 'bootloader-encrypted-aes-xts.bin'],
    ['ef-flashencryption-key.bin', 0x20000, hello, 'hello-world-signed-encrypted-aes-xts.bin'],
  ];
  for (const [key, addr, plain, expected] of xtsCases) {
    it(`XTS-AES-128 reproduces ${expected} and decrypts it back`, () => {
      const ct = xtsEncrypt(v(key), addr, plain);
      assert.ok(Buffer.from(ct).equals(Buffer.from(v(expected))), `ciphertext differs from ${expected}`);
      assert.ok(Buffer.from(xtsDecrypt(v(key), addr, v(expected))).equals(Buffer.from(plain)));
    });
  }

  it('XTS-AES-256 (512bit_key.bin at 0x10000) round-trips and differs from the 128-bit result', () => {
    const key = v('512bit_key.bin');
    const ct = xtsEncrypt(key, 0x10000, hello);
    assert.equal(ct.length, hello.length);
    assert.ok(!Buffer.from(ct).equals(Buffer.from(hello)));
    assert.ok(!Buffer.from(ct).equals(Buffer.from(xtsEncrypt(key.subarray(0, 32), 0x10000, hello))));
    assert.ok(Buffer.from(xtsDecrypt(key, 0x10000, ct)).equals(Buffer.from(hello)));
  });
});

describe('sim flash-encryption engine: properties', () => {
  const key32 = new Uint8Array(crypto.createHash('sha256').update('k').digest());
  const key64 = new Uint8Array(Buffer.concat([Buffer.from(key32), crypto.createHash('sha256').update('k2').digest()]));
  const plain = new Uint8Array(crypto.createHash('sha512').update('p').digest()).slice(0, 64);
  const data = new Uint8Array(512).map((_, i) => plain[i % 64] ^ i);

  it('XTS encrypting in 16/32/48/128-byte pieces equals one call (unaligned starts)', () => {
    for (const keyBytes of [key32, key64]) {
      const whole = xtsEncrypt(keyBytes, 0x1000, data);
      for (const piece of [16, 32, 48, 128]) {
        const parts: Uint8Array[] = [];
        for (let o = 0; o < data.length; o += piece) parts.push(xtsEncrypt(keyBytes, 0x1000 + o, data.subarray(o, o + piece)));
        assert.ok(Buffer.concat(parts).equals(Buffer.from(whole)), `piece ${piece}, key ${keyBytes.length}`);
      }
    }
  });

  it('XTS ciphertext depends on the address (tweak) and on the 128-byte unit', () => {
    const a = xtsEncrypt(key32, 0x1000, data.subarray(0, 128));
    const b = xtsEncrypt(key32, 0x1080, data.subarray(0, 128));
    assert.ok(!Buffer.from(a).equals(Buffer.from(b)));
  });

  it('a 16-byte XTS key means SHA-256 of it (ESP32-C2 derived key)', () => {
    const short = key32.subarray(0, 16);
    const derived = new Uint8Array(crypto.createHash('sha256').update(short).digest());
    assert.ok(Buffer.from(xtsEncrypt(short, 0x2000, data)).equals(Buffer.from(xtsEncrypt(derived, 0x2000, data))));
  });

  it('rejects unaligned XTS input with a message naming the address', () => {
    assert.throws(() => xtsEncrypt(key32, 0x1004, data.subarray(0, 16)), /16-byte aligned.*0x1004/);
    assert.throws(() => xtsEncrypt(key32, 0x1000, data.subarray(0, 20)), /16-byte aligned/);
  });

  it('ESP32: conf 0 uses the plain key for every row; conf 0xF tweaks rows apart', () => {
    const k = normalizeEsp32Key(key32);
    assert.ok(esp32RowKey(k, 0x12340, 0).equals(k));
    assert.ok(!esp32RowKey(k, 0x12340, 0xf).equals(k));
    assert.ok(esp32RowKey(k, 0x0, 0xf).equals(k));
    // With conf 0xF the two 16-byte blocks of one 32-byte row share a key; the next row does not.
    const block = data.subarray(0, 16);
    const at = (a: number): Buffer => Buffer.from(esp32Encrypt(key32, a, block, 0xf));
    assert.ok(at(0x1000).equals(at(0x1010)));
    assert.ok(!at(0x1000).equals(at(0x1020)));
  });

  it('ESP32: a 24-byte key is extended as key[0..24] ++ key[8..16]', () => {
    const k24 = key32.subarray(0, 24);
    const k32 = new Uint8Array([...k24, ...k24.subarray(8, 16)]);
    assert.ok(Buffer.from(esp32Encrypt(k24, 0x1000, data, 0xf)).equals(Buffer.from(esp32Encrypt(k32, 0x1000, data, 0xf))));
  });
});
