/** Refusals: each says what is wrong with which key/address and what to do. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createFlashDecryptStream, decryptFlashData, encryptFlashData, keyChipMismatch, keyForChip, keyFromBytes, loadKeyFile } from '../../../src/core/crypto/flash_crypto';
import { SeededRandom } from './seeded_random';

const rnd = new SeededRandom(7);

describe('crypto: key refusals', () => {
  it('wrong key size for the scheme', () => {
    assert.throws(
      () => keyFromBytes(rnd.bytes(20), 'esp32-aes', 'k.bin'),
      /^InputError: Key file k\.bin holds 20 bytes, which is not a key for the ESP32 AES-256 scheme: that takes 24- or 32-byte keys \(raw binary as espsecure writes them\)\. Check that the key file and the chip \(or the XTS-AES choice\) belong together\.$/,
    );
    assert.throws(() => keyFromBytes(rnd.bytes(48), 'xts-aes'), /^InputError: The key holds 48 bytes, which is not a key for XTS-AES: that takes 16-, 32- or 64-byte keys/);
  });

  it('a key of the other scheme says so', () => {
    assert.throws(() => keyFromBytes(rnd.bytes(64), 'esp32-aes', 'k.bin'), /holds 64 bytes, which is not a key for the ESP32 AES-256 scheme \(64 bytes is a key size of XTS-AES\)/);
    assert.throws(() => keyFromBytes(rnd.bytes(24), 'xts-aes'), /\(24 bytes is a key size of the ESP32 AES-256 scheme\)/);
    assert.throws(
      () => keyForChip(rnd.bytes(64), 'esp32', 'k.bin'),
      /^InputError: Key file k\.bin holds 64 bytes, which is not a flash-encryption key for ESP32 \(64 bytes is a key size of XTS-AES\): ESP32 uses the ESP32 AES-256 scheme with 24- or 32-byte keys\. Give that chip's key file/,
    );
    const esp32Key = keyFromBytes(rnd.bytes(32), 'esp32-aes', 'k.bin');
    assert.equal(
      keyChipMismatch(esp32Key, 'esp32s3'),
      "Key file k.bin was loaded as a key for the ESP32 AES-256 scheme, but ESP32-S3 uses XTS-AES. Load it for ESP32-S3 (or give the chip's own key).",
    );
    assert.equal(keyChipMismatch(esp32Key, 'esp32'), undefined);
  });

  it('a key size the chip cannot hold, from the chip table', () => {
    assert.throws(
      () => keyForChip(rnd.bytes(64), 'esp32c3', 'k.bin'),
      /Key file k\.bin holds 64 bytes \(XTS-AES-256 key\), but ESP32-C3 takes 32-byte keys \(XTS-AES-128 key\)\. Use a key of that size \(the generate-key command makes one for esp32c3\)\./,
    );
    assert.throws(() => keyForChip(rnd.bytes(16), 'esp32s3'), /but ESP32-S3 takes 32- or 64-byte keys \(XTS-AES-128 key or XTS-AES-256 key\)/);
    assert.equal(keyForChip(rnd.bytes(16), 'esp32c2').sizeBits, 128);
    assert.equal(keyForChip(rnd.bytes(64), 'esp32p4').sizeBits, 256);
    assert.throws(() => keyForChip(rnd.bytes(32), 'esp8266'), /^InputError: ESP8266 has no flash encryption/);
  });

  it('XTS keys with identical halves are refused before OpenSSL sees them', () => {
    const half = rnd.bytes(16);
    assert.throws(
      () => keyFromBytes(Buffer.concat([half, half]), 'xts-aes', 'dup.bin'),
      /Key file dup\.bin is not usable for XTS-AES: its two 16-byte halves \(data key and tweak key\) are identical\. OpenSSL refuses such keys \("xts duplicated keys"\)/,
    );
    // The ESP32 scheme has no halves: the same bytes are a fine AES-256 key.
    assert.equal(keyFromBytes(Buffer.concat([half, half]), 'esp32-aes').scheme, 'esp32-aes');
  });

  describe('key files', () => {
    let dir: string;
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'espf-keys-'))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('missing file', () => {
      const f = path.join(dir, 'nope.bin');
      assert.throws(() => loadKeyFile(f, 'esp32'), new RegExp(`^InputError: Key file ${f.replace(/[.\\/]/g, '\\$&')} not found\\. .*generate-key`));
    });

    it('a file far too big to be a key', () => {
      const f = path.join(dir, 'app.bin');
      fs.writeFileSync(f, Buffer.alloc(100));
      assert.throws(() => loadKeyFile(f, 'esp32c3'), /holds 100 bytes; flash-encryption key files are 16, 24, 32 or 64 bytes/);
    });

    it('a directory', () => {
      assert.throws(() => loadKeyFile(dir, 'esp32c3'), /is not a regular file/);
    });

    it('a good file loads with its path as source', () => {
      const f = path.join(dir, 'good.bin');
      fs.writeFileSync(f, rnd.bytes(32));
      const key = loadKeyFile(f, 'esp32c6');
      assert.equal(key.source, f);
      assert.equal(key.description, 'XTS-AES-128 (32-byte key)');
    });
  });
});

describe('crypto: data refusals', () => {
  const key = keyFromBytes(rnd.bytes(32), 'xts-aes');

  it('unaligned address', () => {
    assert.throws(
      () => encryptFlashData(key, 0x1008, Buffer.alloc(16), { label: 'segment "app"' }),
      /^InputError: segment "app": flash address 0x1008 is not a multiple of 16: flash encryption works on 16-byte blocks at 16-byte-aligned addresses \(ESP32 encrypted writes need 32\)\. Move the data to an aligned offset such as 0x1000\.$/,
    );
    assert.throws(() => decryptFlashData(keyFromBytes(rnd.bytes(32), 'esp32-aes'), 3, Buffer.alloc(16)), /flash address 0x3 is not a multiple of 16/);
    assert.throws(() => encryptFlashData(key, -16, Buffer.alloc(16)), /flash address -16 is not an address in the 32-bit flash space/);
  });

  it('data running past 4 GiB', () => {
    assert.equal(encryptFlashData(key, 0xfffffff0, Buffer.alloc(16)).length, 16);
    assert.throws(() => encryptFlashData(key, 0xfffffff0, Buffer.alloc(17)), /^InputError: 32 bytes at 0xFFFFFFF0 run past the end of the 32-bit flash address space\.$/);
  });

  it('ciphertext whose length is not a multiple of 16', async () => {
    assert.throws(
      () => decryptFlashData(key, 0x1000, Buffer.alloc(33), { label: 'read.bin' }),
      /^InputError: read\.bin: encrypted data is 33 bytes long, not a multiple of 16: flash-encrypted data always is\./,
    );
    await assert.rejects(
      pipeline(Readable.from([Buffer.alloc(20), Buffer.alloc(13)]), createFlashDecryptStream(key, 0x1000), new Writable({ write: (_c, _e, d) => d() })),
      /encrypted data is 33 bytes long, not a multiple of 16/,
    );
  });

  it('FLASH_CRYPT_CONFIG out of range and a bad padding unit', () => {
    const esp32 = keyFromBytes(rnd.bytes(32), 'esp32-aes');
    assert.throws(
      () => encryptFlashData(esp32, 0, Buffer.alloc(16), { flashCryptConfig: 16 }),
      /FLASH_CRYPT_CONFIG 16 is out of range: it is a 4-bit eFuse value \(0x0…0xF, normally 0xF\)\./,
    );
    assert.throws(() => encryptFlashData(esp32, 0, Buffer.alloc(16), { padTo: 20 }), /padding unit 20 must be a positive multiple of 16 bytes/);
  });
});
