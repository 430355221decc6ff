import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import pako from 'pako';
import { chipFacts } from '../../../src/core/chips';
import { keyForChip } from '../../../src/core/crypto/flash_crypto';
import { decryptFlashData } from '../../../src/core/crypto/flash_crypto';
import { prepareSegment, type PrepareContext } from '../../../src/core/flash/prepare_segments';
import { Op } from '../../../src/core/protocol/opcodes';
import { ESP_FLASHER_STUB_0_7_0, ESP_FLASHER_STUB_1_2_2, LEGACY_STUB_1_11_1, UNKNOWN_STUB, type StubRelease } from '../../../src/core/protocol/stub_capabilities';

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
const c3 = chipFacts('esp32c3');
const esp32 = chipFacts('esp32');
const ctx = (p: Partial<PrepareContext> & { stub?: boolean; release?: StubRelease } = {}): PrepareContext => ({
  loader: { chip: p.loader?.chip ?? c3, stub: p.stub === false ? undefined : (p.release ?? ESP_FLASHER_STUB_1_2_2), secureDownloadMode: false },
  secureBoot: false,
  compress: true,
  ...p,
});

describe('preparing segments for the wire', () => {
  it('plain: pads to 4 with 0xFF, compresses when it shrinks, expects the MD5 of the padded data', () => {
    const bytes = new Uint8Array(4097).fill(0x11);
    const p = prepareSegment({ name: 'a', offset: 0x10000, bytes, encrypt: 'off' }, 0, ctx());
    assert.equal(p.image.length, 4100);
    assert.deepEqual([...p.image.subarray(4097)], [0xff, 0xff, 0xff]);
    assert.equal(p.method, 'compressed');
    assert.deepEqual(Buffer.from(pako.inflate(p.compressed!)), Buffer.from(p.data));
    assert.equal(p.expectedMd5, md5(p.image));
  });

  it('falls back to an uncompressed write when deflate does not shrink the data', () => {
    const bytes = new Uint8Array(createHash('sha512').update('x').digest());
    const p = prepareSegment({ name: 'rnd', offset: 0x9000, bytes, encrypt: 'off' }, 0, ctx());
    assert.equal(p.method, 'plain');
    assert.equal(p.compressed, undefined);
  });

  it('ROM: aligns an unaligned start down to 4 KiB with 0xFF in front, verifying only the segment', () => {
    const bytes = new Uint8Array(16).fill(0x22);
    const p = prepareSegment({ name: 'x', offset: 0x8100, bytes, encrypt: 'off' }, 0, ctx({ stub: false }));
    assert.equal(p.writeOffset, 0x8000);
    assert.equal(p.data.length, 0x100 + 16);
    assert.ok(p.data.subarray(0, 0x100).every((b) => b === 0xff));
    assert.equal(p.expectedMd5, md5(bytes));
  });

  it('device encryption: pads to 32 on ESP32; the legacy stub v1.11.1 gets FLASH_DEFL_BEGIN with the encrypt flag (compressed + encrypted, proven on the real ROM)', () => {
    const bytes = new Uint8Array(40).fill(1);
    const p = prepareSegment({ name: 'app', offset: 0x10000, bytes, encrypt: 'device' }, 0, ctx({ loader: { chip: esp32, stub: LEGACY_STUB_1_11_1, secureDownloadMode: false } }));
    assert.equal(p.image.length, 64);
    assert.equal(p.method, 'encrypted-compressed');
    assert.equal(p.wire.beginOp, Op.FLASH_DEFL_BEGIN);
    assert.equal(p.wire.beginEncryptWord, 1);
    assert.equal(p.wire.dataOp, Op.FLASH_DEFL_DATA);
    assert.equal(p.expectedMd5, undefined);
    assert.match(p.noVerifyReason!, /give the key file/);
  });

  it('device encryption: only the legacy stub v1.11.1 compresses encrypted data (the others are not proven on the real ROM); the ROM writes with the flag', () => {
    const bytes = new Uint8Array(8192).fill(3);
    assert.equal(prepareSegment({ name: 'a', offset: 0, bytes, encrypt: 'device' }, 0, ctx({ release: LEGACY_STUB_1_11_1 })).method, 'encrypted-compressed');
    for (const release of [ESP_FLASHER_STUB_1_2_2, ESP_FLASHER_STUB_0_7_0, UNKNOWN_STUB]) {
      const p = prepareSegment({ name: 'a', offset: 0, bytes, encrypt: 'device' }, 0, ctx({ release }));
      assert.equal(p.method, 'encrypted', release.name);
      assert.equal(p.compressed, undefined, release.name);
    }
    const rom = prepareSegment({ name: 'a', offset: 0, bytes, encrypt: 'device' }, 0, ctx({ stub: false }));
    assert.equal(rom.method, 'encrypted');
    assert.equal(rom.wire.blockSize, 0x400);
    // A table entry that allowed it would get FLASH_DEFL_BEGIN with the flag.
    const zipped = prepareSegment({ name: 'a', offset: 0, bytes, encrypt: 'device' }, 0, ctx({ release: { ...ESP_FLASHER_STUB_1_2_2, compressedEncryptedWrites: true } }));
    assert.equal(zipped.method, 'encrypted-compressed');
    assert.equal(zipped.wire.beginOp, Op.FLASH_DEFL_BEGIN);
    assert.equal(zipped.wire.beginEncryptWord, 1);
  });

  it('host encryption: writes ciphertext uncompressed and expects its MD5', () => {
    const key = keyForChip(
      Uint8Array.from({ length: 32 }, (_, i) => i * 7),
      'esp32c3',
    );
    const bytes = new Uint8Array(1000).fill(0x33);
    const p = prepareSegment({ name: 'app', offset: 0x20000, bytes, encrypt: 'host' }, 0, ctx({ key }));
    assert.equal(p.method, 'host-encrypted');
    assert.equal(p.image.length, 1008);
    const plain = decryptFlashData(key, 0x20000, p.image);
    assert.deepEqual(Buffer.from(plain.subarray(0, 1000)), Buffer.from(bytes));
    assert.equal(p.expectedMd5, md5(p.image));
    assert.throws(() => prepareSegment({ name: 'app', offset: 0x20000, bytes, encrypt: 'host' }, 0, ctx()), /no key was given/);
  });

  it('device encryption with a known key: expects the MD5 of the ciphertext', () => {
    const key = keyForChip(
      Uint8Array.from({ length: 32 }, (_, i) => i * 9 + 1),
      'esp32c3',
    );
    const bytes = new Uint8Array(64).fill(0x44);
    const p = prepareSegment({ name: 'app', offset: 0x10000, bytes, encrypt: 'device' }, 0, ctx({ key }));
    const cipher = prepareSegment({ name: 'app', offset: 0x10000, bytes, encrypt: 'host' }, 0, ctx({ key })).image;
    assert.equal(p.expectedMd5, md5(cipher));
  });
});
