import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  createFlashDecryptStream,
  createFlashEncryptStream,
  decryptFlashData,
  encryptFlashData,
  expectedCiphertextMd5,
  loadKeyFile,
  loadSchemeKeyFile,
} from '../../../src/core/crypto/flash_crypto';
import { describeWithVectors, IMAGES_DIR, vector, vectorPath, VECTOR_CASES } from './shared_vectors';

const label = (c: (typeof VECTOR_CASES)[number]): string =>
  `${c.cipher} (${c.scheme}${c.conf !== undefined ? ` conf 0x${c.conf.toString(16)}` : ''}, ${c.key} @ 0x${c.address.toString(16)})`;

async function throughStream(stream: NodeJS.ReadWriteStream, data: Buffer, pieces: number[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let p = 0;
  const parts: Buffer[] = [];
  for (const n of pieces) {
    if (p >= data.length) break;
    parts.push(data.subarray(p, p + n));
    p += n;
  }
  if (p < data.length) parts.push(data.subarray(p));
  await pipeline(
    Readable.from(parts),
    stream,
    new Writable({
      write(chunk: Buffer, _e, done) {
        chunks.push(chunk);
        done();
      },
    }),
  );
  return Buffer.concat(chunks);
}

describeWithVectors('crypto: espsecure test vectors (../shared/vectors)', () => {
  for (const c of VECTOR_CASES) {
    describe(label(c), () => {
      const plain = vector(c.plain);
      const expected = vector(c.cipher);
      const key = loadSchemeKeyFile(vectorPath(c.key), c.scheme);
      const opts = { flashCryptConfig: c.conf };

      it('encrypts the plaintext to the stored ciphertext', () => {
        assert.equal(plain.length, expected.length);
        assert.ok(encryptFlashData(key, c.address, plain, opts).equals(expected));
      });

      it('decrypts the stored ciphertext back to the plaintext', () => {
        assert.ok(decryptFlashData(key, c.address, expected, opts).equals(plain));
      });

      it('gives the same bytes through the streams with odd piece sizes', async () => {
        const pieces = [1, 15, 17, 4096, 3, 100000, 7];
        assert.ok((await throughStream(createFlashEncryptStream(key, c.address, opts), plain, pieces)).equals(expected));
        assert.ok((await throughStream(createFlashDecryptStream(key, c.address, opts), expected, pieces)).equals(plain));
      });

      it('computes the MD5 of the stored ciphertext without the ciphertext', () => {
        const want = crypto.createHash('md5').update(expected).digest('hex');
        assert.equal(expectedCiphertextMd5(key, c.address, plain, opts), want);
      });
    });
  }

  it('loads the vector keys for a chip of each scheme (ESP32, ESP32-C3)', () => {
    const esp32 = loadKeyFile(vectorPath('256bit_key.bin'), 'esp32');
    const c3 = loadKeyFile(vectorPath('256bit_key.bin'), 'esp32c3');
    assert.equal(esp32.scheme, 'esp32-aes');
    assert.equal(c3.scheme, 'xts-aes');
    assert.equal(c3.sizeBits, 128);
    const plain = vector('bootloader.bin');
    assert.ok(encryptFlashData(esp32, 0x1000, plain).equals(vector('bootloader-encrypted.bin')));
    assert.ok(encryptFlashData(c3, 0x1000, plain).equals(vector('bootloader-encrypted-aes-xts.bin')));
  });

  it('XTS-AES-256 with 512bit_key.bin round-trips hello-world-signed.bin at 0x10000', () => {
    const key = loadKeyFile(vectorPath('512bit_key.bin'), 'esp32s3');
    assert.equal(key.sizeBits, 256);
    const plain = vector('hello-world-signed.bin');
    const enc = encryptFlashData(key, 0x10000, plain);
    assert.equal(enc.length, plain.length);
    assert.ok(!enc.equals(plain));
    // Differs from XTS-AES-128 with the first half of the same key material.
    const k128 = loadSchemeKeyFile(vectorPath('ef-flashencryption-key.bin'), 'xts-aes');
    assert.ok(!enc.equals(encryptFlashData(k128, 0x10000, plain)));
    assert.ok(decryptFlashData(key, 0x10000, enc).equals(plain));
  });

  it('aes_key.bin with conf 0 (esptool hardware test) round-trips helloworld-esp32.bin at 0x10000', () => {
    const key = loadKeyFile(vectorPath('aes_key.bin'), 'esp32');
    const plain = fs.readFileSync(path.join(IMAGES_DIR, 'helloworld-esp32.bin'));
    const enc = encryptFlashData(key, 0x10000, plain, { flashCryptConfig: 0 });
    // conf 0: no tweak, so every 32-byte row uses the plain key and equal rows encrypt equally.
    const twice = Buffer.concat([plain.subarray(0, 32), plain.subarray(0, 32)]);
    const encTwice = encryptFlashData(key, 0x10000, twice, { flashCryptConfig: 0 });
    assert.ok(encTwice.subarray(0, 32).equals(encTwice.subarray(32)));
    assert.ok(decryptFlashData(key, 0x10000, enc, { flashCryptConfig: 0 }).equals(plain));
  });
});
