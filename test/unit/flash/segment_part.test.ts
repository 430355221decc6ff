import { strict as assert } from 'node:assert';
import pako from 'pako';
import { chipFacts } from '../../../src/core/chips';
import { encryptFlashData, keyForChip } from '../../../src/core/crypto/flash_crypto';
import { prepareSegment, romDeflateWindows, segmentPart, type PrepareContext } from '../../../src/core/flash/prepare_segments';
import type { LoaderCaps } from '../../../src/core/flash/write_method';
import { ESP_FLASHER_STUB_1_2_2 } from '../../../src/core/protocol/stub_capabilities';

const c3 = chipFacts('esp32c3');
const stub: LoaderCaps = { chip: c3, stub: ESP_FLASHER_STUB_1_2_2, secureDownloadMode: false };
const rom: LoaderCaps = { chip: c3, secureDownloadMode: false };
const ctx = (loader: LoaderCaps, p: Partial<PrepareContext> = {}): PrepareContext => ({ loader, secureBoot: false, compress: true, ...p });
const key = keyForChip(
  Uint8Array.from({ length: 32 }, (_, i) => (i * 13 + 5) & 0xff),
  'esp32c3',
);
const data = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i % 7 === 0 ? i & 0xff : 0x20));

describe('one part of a segment as its own write (changed sectors)', () => {
  it('plain: the part carries the image bytes of its range, compressed on its own', () => {
    const p = prepareSegment({ name: 'app', offset: 0x10000, bytes: data(0x5000), encrypt: 'off' }, 3, ctx(stub));
    assert.equal(p.expected, p.image);
    const part = segmentPart(p, 0x12000, 0x13000, stub);
    assert.equal(part.index, 3);
    assert.equal(part.name, 'app');
    assert.equal(part.offset, 0x12000);
    assert.equal(part.writeOffset, 0x12000);
    assert.deepEqual(Buffer.from(part.data), Buffer.from(p.image.subarray(0x2000, 0x3000)));
    assert.equal(part.method, 'compressed');
    assert.deepEqual(Buffer.from(pako.inflate(part.compressed!)), Buffer.from(part.data));
    assert.equal(part.expected, undefined, 'the part is verified as part of the whole segment');
  });

  it('host key: the part is the ciphertext of its range, which is what the flash must hold there', () => {
    const p = prepareSegment({ name: 'app', offset: 0x20000, bytes: data(0x3000), encrypt: 'host' }, 0, ctx(stub, { key }));
    const cipher = encryptFlashData(key, 0x20000, data(0x3000));
    assert.deepEqual(Buffer.from(p.expected!), cipher);
    const part = segmentPart(p, 0x21000, 0x22000, stub);
    assert.equal(part.method, 'host-encrypted');
    assert.deepEqual(Buffer.from(part.data), cipher.subarray(0x1000, 0x2000));
  });

  it('device encryption with the key: expects ciphertext, but sends plaintext for the chip to encrypt', () => {
    const bytes = data(0x2000);
    const p = prepareSegment({ name: 'app', offset: 0x10000, bytes, encrypt: 'device' }, 0, ctx(stub, { key }));
    assert.deepEqual(Buffer.from(p.expected!), encryptFlashData(key, 0x10000, bytes));
    const part = segmentPart(p, 0x11000, 0x12000, stub);
    assert.deepEqual(Buffer.from(part.data), Buffer.from(bytes.subarray(0x1000)));
    assert.match(part.method, /^encrypted/);
  });

  it('ROM: a part at an unaligned segment start gets 0xFF in front down to the sector', () => {
    const p = prepareSegment({ name: 'nvs', offset: 0x9100, bytes: data(0x1f00), encrypt: 'off' }, 0, ctx(rom, { compress: false }));
    const part = segmentPart(p, 0x9100, 0xa000, rom);
    assert.equal(part.writeOffset, 0x9000);
    assert.equal(part.data.length, 0x1000);
    assert.ok(part.data.subarray(0, 0x100).every((b) => b === 0xff));
    assert.deepEqual(Buffer.from(part.data.subarray(0x100)), Buffer.from(p.image.subarray(0, 0xf00)));
  });

  it('refuses a range outside the segment', () => {
    const p = prepareSegment({ name: 'app', offset: 0x10000, bytes: data(0x1000), encrypt: 'off' }, 0, ctx(stub));
    assert.throws(() => segmentPart(p, 0xf000, 0x10000, stub), /outside segment "app"/);
  });

  describe("the ESP32 ROM's compressed write overruns its end (romDeflateOverrun)", () => {
    const esp32Rom: LoaderCaps = { chip: chipFacts('esp32'), secureDownloadMode: false };
    const esp32Stub: LoaderCaps = { ...esp32Rom, stub: ESP_FLASHER_STUB_1_2_2 };

    it('whole 32 KiB windows but the last go compressed, the rest (at least one window) uncompressed right after, covering every overrun byte', () => {
      // Starts 0x100 into a sector: the ROM write starts at the sector, 0xFF in front.
      const p = prepareSegment({ name: 'app', offset: 0x10100, bytes: data(0x2ac00), encrypt: 'off' }, 0, ctx(esp32Rom));
      const parts = romDeflateWindows(p, esp32Rom)!;
      assert.equal(parts.length, 2);
      const [head, tail] = parts;
      assert.equal(head.writeOffset, 0x10000);
      assert.equal(head.method, 'compressed');
      assert.equal(head.data.length, 4 * 0x8000);
      assert.deepEqual(Buffer.from(pako.inflate(head.compressed!)), Buffer.from(head.data));
      assert.equal(tail.method, 'plain');
      assert.equal(tail.writeOffset, 0x10000 + 4 * 0x8000);
      assert.equal(tail.compressed, undefined);
      // The head's overrun [its end, its end + 32 KiB) lies inside what the tail erases and writes.
      assert.ok(tail.data.length >= 0x8000 && tail.data.length < 0x10000);
      assert.equal(tail.writeOffset + tail.data.length, 0x10100 + 0x2ac00);
      assert.deepEqual(Buffer.concat([head.data.subarray(0x100), tail.data]), Buffer.from(p.image));
    });

    it('a write shorter than two windows goes uncompressed; stubs, other chips and uncompressed writes are left alone', () => {
      const small = prepareSegment({ name: 'app', offset: 0x20000, bytes: data(0xfff0), encrypt: 'off' }, 0, ctx(esp32Rom));
      const parts = romDeflateWindows(small, esp32Rom)!;
      assert.deepEqual(
        parts.map((x) => [x.writeOffset, x.data.length, x.method]),
        [[0x20000, 0xfff0, 'plain']],
      );
      const sector = romDeflateWindows(segmentPart(small, 0x23000, 0x24000, esp32Rom), esp32Rom)!;
      assert.deepEqual(
        sector.map((x) => [x.writeOffset, x.data.length, x.method]),
        [[0x23000, 0x1000, 'plain']],
      );
      assert.equal(romDeflateWindows(prepareSegment({ name: 'app', offset: 0x20000, bytes: data(0x30000), encrypt: 'off' }, 0, ctx(esp32Stub)), esp32Stub), undefined);
      assert.equal(romDeflateWindows(prepareSegment({ name: 'app', offset: 0x20000, bytes: data(0x30000), encrypt: 'off' }, 0, ctx(rom)), rom), undefined);
      const plain = prepareSegment({ name: 'app', offset: 0x20000, bytes: data(0x30000), encrypt: 'off' }, 0, ctx(esp32Rom, { compress: false }));
      assert.equal(romDeflateWindows(plain, esp32Rom), undefined);
    });
  });
});
