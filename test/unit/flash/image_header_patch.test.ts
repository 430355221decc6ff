import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { chipFacts } from '../../../src/core/chips';
import { patchImageHeader } from '../../../src/core/flash/image_header_patch';
import { parseImage } from '../../../src/core/formats/image_parse';
import { sharedFile, sharedPresent } from './shared_files';

const esp32 = chipFacts('esp32');
const c3 = chipFacts('esp32c3');

describe('bootloader header patching (§6.2)', () => {
  if (!sharedPresent()) {
    it('shared corpus not present: skipped', function () {
      console.log('shared corpus not present: skipped');
      this.skip();
    });
    return;
  }

  it('patches mode/size/freq of an ESP32 v5.2 bootloader and recomputes its SHA-256', () => {
    const img = sharedFile('images', 'bootloader_esp32_v5_2.bin');
    const p = patchImageHeader(img, 0x1000, esp32, { mode: 'dio', size: '8MB', freq: '80m' }, undefined, 'bootloader');
    assert.equal(p.patched, true);
    assert.equal(p.bytes[2], 2);
    assert.equal(p.bytes[3], 0x3f);
    const parsed = parseImage(p.bytes, { chip: 'esp32' });
    assert.equal(parsed.info?.sha256?.ok, true);
    assert.notEqual(createHash('sha256').update(p.bytes).digest('hex'), createHash('sha256').update(img).digest('hex'));
    assert.match(p.note, /header bytes 2–3 03 10 → 02 3f, appended SHA-256 recomputed/);
    assert.equal(p.bytes.length, img.length);
  });

  it('"detect" uses the detected flash size; "keep" keeps a field', () => {
    const img = sharedFile('images', 'bootloader_esp32c3.bin');
    const p = patchImageHeader(img, 0x0, c3, { mode: 'keep', size: 'detect', freq: 'keep' }, 16 * 1024 * 1024, 'bootloader');
    assert.equal(p.bytes[2], img[2]);
    assert.equal(p.bytes[3], 0x40 | (img[3] & 0x0f));
  });

  it('leaves the image alone away from the bootloader offset, for another chip, or for ciphertext', () => {
    const img = sharedFile('images', 'bootloader_esp32c3.bin');
    const s = { mode: 'dio' as const, size: '4MB', freq: '40m' };
    assert.equal(patchImageHeader(img, 0x1000, c3, s, undefined, 'b').patched, false);
    assert.equal(patchImageHeader(img, 0x1000, esp32, s, undefined, 'b').patched, false);
    const fake = Uint8Array.from(img);
    fake[100] ^= 0xff; // checksum no longer matches: not a valid image
    const p = patchImageHeader(fake, 0x0, c3, s, undefined, 'b');
    assert.equal(p.patched, false);
    assert.match(p.note, /does not parse as a valid ESP32-C3 image/);
  });

  it('names a bad frequency setting and the valid ones', () => {
    const img = sharedFile('images', 'bootloader_esp32c3.bin');
    assert.throws(
      () => patchImageHeader(img, 0, c3, { mode: 'keep', size: 'keep', freq: '48m' }, undefined, 'bootloader'),
      /Flash frequency setting "48m" is not valid for ESP32-C3; use one of 80m, 40m, 26m, 20m or keep/,
    );
  });
});
