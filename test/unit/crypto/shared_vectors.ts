/**
 * Where the shared test data lives (../shared beside the repository), read in place.
 * Suites that need it register a single passing test saying it is absent instead of failing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const SHARED_DIR = path.resolve(__dirname, '../../..', '../shared');
export const VECTORS_DIR = path.join(SHARED_DIR, 'vectors');
export const IMAGES_DIR = path.join(SHARED_DIR, 'images');

export const vectorsPresent = fs.existsSync(path.join(VECTORS_DIR, 'bootloader.bin'));

export function vector(name: string): Buffer {
  return fs.readFileSync(path.join(VECTORS_DIR, name));
}

export function vectorPath(name: string): string {
  return path.join(VECTORS_DIR, name);
}

/** describe() when the shared vectors exist; otherwise one test that logs why nothing ran. */
export function describeWithVectors(title: string, body: () => void): void {
  if (vectorsPresent) {
    describe(title, body);
  } else {
    describe(title, () => {
      it('shared corpus not present: skipped', function () {
        console.log(`      shared corpus not present at ${VECTORS_DIR}: skipped`);
        this.skip();
      });
    });
  }
}

/** The published vectors: plaintext, key, address, scheme, FLASH_CRYPT_CONFIG, expected ciphertext. */
export const VECTOR_CASES = [
  { plain: 'bootloader.bin', key: '256bit_key.bin', address: 0x1000, scheme: 'esp32-aes', conf: 0xf, cipher: 'bootloader-encrypted.bin' },
  { plain: 'bootloader.bin', key: '256bit_key.bin', address: 0x1000, scheme: 'esp32-aes', conf: 0x0, cipher: 'bootloader-encrypted-conf0.bin' },
  { plain: 'bootloader.bin', key: '256bit_key.bin', address: 0x1000, scheme: 'esp32-aes', conf: 0x9, cipher: 'bootloader-encrypted-conf9.bin' },
  { plain: 'hello-world-signed.bin', key: 'ef-flashencryption-key.bin', address: 0x20000, scheme: 'esp32-aes', conf: 0xf, cipher: 'hello-world-signed-encrypted.bin' },
  { plain: 'bootloader.bin', key: '256bit_key.bin', address: 0x1000, scheme: 'xts-aes', conf: undefined, cipher: 'bootloader-encrypted-aes-xts.bin' },
  { plain: 'hello-world-signed.bin', key: 'ef-flashencryption-key.bin', address: 0x20000, scheme: 'xts-aes', conf: undefined, cipher: 'hello-world-signed-encrypted-aes-xts.bin' },
] as const;
