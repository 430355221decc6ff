import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildImage } from '../../../src/core/formats/image_build';
import { writeAppDescriptor } from '../../../src/core/formats/image_descriptors';
import { checksumPosition, imageChecksum, parseImage } from '../../../src/core/formats/image_parse';
import { IMAGES, describeShared } from './shared_corpus';

const load = (name: string) => new Uint8Array(readFileSync(path.join(IMAGES, name)));
const errors = (r: ReturnType<typeof parseImage>) => r.problems.filter((p) => p.severity === 'error').map((p) => p.message);

function sampleImage(): Uint8Array {
  const desc = writeAppDescriptor({ projectName: 'demo', version: '2.1', idfVersion: 'v5.3.1', date: 'Jan  2 2026', time: '10:11:12' });
  const ro = new Uint8Array(0x200).fill(0x11);
  ro.set(desc);
  return buildImage(
    [
      { addr: 0x3c000020, data: ro, name: '.flash.appdesc' },
      { addr: 0x42000020, data: new Uint8Array(0x100).fill(0x22) },
      { addr: 0x3fc80000, data: new Uint8Array(0x40).fill(0x33) },
    ],
    { chip: 'esp32c3', entry: 0x42000020, flashMode: 'dio', flashSize: '2MB', flashFreq: '80m' },
  ).bytes;
}

describe('image parse: self-made images', () => {
  it('reads header, segments, checksum, digest and app descriptor', () => {
    const img = sampleImage();
    const r = parseImage(img);
    assert.deepEqual(r.problems, []);
    const info = r.info!;
    assert.equal(info.chip, 'esp32c3');
    assert.equal(info.chipId, 5);
    assert.equal(info.flashMode, 'dio');
    assert.equal(info.flashSize, '2MB');
    assert.equal(info.flashFreq, '80m');
    assert.equal(info.entry, 0x42000020);
    assert.equal(info.wpPin, 0xee);
    assert.equal(info.maxRevFull, 0xffff);
    assert.ok(info.checksum.ok);
    assert.ok(info.sha256?.ok);
    assert.equal(info.imageLength, img.length);
    assert.equal(info.appDesc?.projectName, 'demo');
    assert.equal(info.appDesc?.version, '2.1');
    assert.equal(info.appDesc?.idfVersion, 'v5.3.1');
    assert.equal(info.appDesc?.date, 'Jan  2 2026');
    assert.equal(info.appDesc?.time, '10:11:12');
    assert.deepEqual(
      info.segments.filter((s) => s.mapping === 'flash').map((s) => s.addr),
      [0x3c000020, 0x42000020],
    );
  });

  it('rejects a bad magic byte with a message naming the offset', () => {
    const img = sampleImage();
    img[0] = 0x12;
    const r = parseImage(img, { file: 'app.bin' });
    assert.equal(r.info, undefined);
    assert.match(errors(r)[0], /^app\.bin: bad image magic 0x12 at offset 0 \(an app\/bootloader image starts with 0xe9\)/);
  });

  it('reports a corrupted checksum and digest, and a truncated file', () => {
    const img = sampleImage();
    const seg0 = 24 + 8;
    const bad = Uint8Array.from(img);
    bad[seg0 + 300] ^= 0xff;
    const r = parseImage(bad, { file: 'x.bin' });
    assert.equal(r.info?.checksum.ok, false);
    assert.equal(r.info?.sha256?.ok, false);
    assert.ok(errors(r).some((m) => /image checksum mismatch at offset 0x[0-9a-f]+: stored 0x[0-9a-f]+, computed 0x[0-9a-f]+/.test(m)));
    assert.ok(errors(r).some((m) => /appended SHA-256 at offset .* does not match/.test(m)));

    const cut = parseImage(img.subarray(0, 200), { file: 'cut.bin' });
    assert.ok(errors(cut).some((m) => /cut\.bin: segment 0 at offset 0x18 says 512 bytes, but only 168 follow; the image is truncated/.test(m)));
  });

  it('reports an invalid hash-appended byte and segment count', () => {
    const img = sampleImage();
    const h = Uint8Array.from(img);
    h[23] = 2;
    assert.ok(errors(parseImage(h)).some((m) => /"hash appended" byte at offset 23 is 2/.test(m)));
    const z = Uint8Array.from(img);
    z[1] = 0;
    assert.ok(errors(parseImage(z)).some((m) => /segment count 0 \(offset 1\) is outside 1\.\.16/.test(m)));
  });

  it('places the checksum so that its position + 1 is a multiple of 16', () => {
    assert.equal(checksumPosition(0x20), 0x2f);
    assert.equal(checksumPosition(0x2f), 0x2f);
    assert.equal(checksumPosition(0x30), 0x3f);
    assert.equal(imageChecksum([Uint8Array.from([0xef])]), 0);
  });
});

describeShared('image parse: sample images in ../shared/images', () => {
  it('bootloader_esp32.bin: 4 segments (first empty), DIO, 2MB/40m, no digest', () => {
    const r = parseImage(load('bootloader_esp32.bin'));
    const i = r.info!;
    assert.deepEqual(errors(r), []);
    assert.equal(i.segmentCount, 4);
    assert.equal(i.segments[0].length, 0);
    assert.equal(i.flashModeByte, 2);
    assert.equal((i.flashSizeNibble << 4) | i.flashFreqNibble, 0x10);
    assert.equal(i.flashSize, '2MB');
    assert.equal(i.flashFreq, '40m');
    assert.equal(i.entry, 0x4009816c);
    assert.equal(i.chipId, 0);
    assert.equal(i.wpPin, 0);
    assert.equal(i.hashAppended, false);
    assert.ok(i.checksum.ok);
    assert.equal(i.sha256, undefined);
  });

  it('bootloader_esp32_v5_2.bin: DOUT, max rev 399, digest ends at file end', () => {
    const r = parseImage(load('bootloader_esp32_v5_2.bin'));
    const i = r.info!;
    assert.deepEqual(errors(r), []);
    assert.equal(i.flashMode, 'dout');
    assert.equal(i.entry, 0x40080650);
    assert.equal(i.wpPin, 0xee);
    assert.equal(i.maxRevFull, 399);
    assert.ok(i.checksum.ok && i.sha256?.ok);
    assert.equal(i.imageLength, 0x6890);
    assert.equal(i.trailingBytes, 0);
  });

  it('bootloader_esp32c3.bin and esp_idf_blink_esp32s2.bin', () => {
    const c3 = parseImage(load('bootloader_esp32c3.bin')).info!;
    assert.equal(c3.chip, 'esp32c3');
    assert.equal(c3.entry, 0x403c0000);
    assert.ok(c3.checksum.ok && c3.sha256?.ok);
    const s2r = parseImage(load('esp_idf_blink_esp32s2.bin'));
    const s2 = s2r.info!;
    assert.deepEqual(errors(s2r), []);
    assert.equal(s2.chip, 'esp32s2');
    assert.equal(s2.segmentCount, 6);
    assert.equal(s2.segments[0].addr, 0x3f000020);
    assert.equal(s2.segments[3].addr, 0x40080020);
    assert.equal(s2.segments[5].addr, 0x50000000);
    assert.deepEqual(
      s2.segments.map((s) => s.mapping),
      ['flash', 'ram', 'ram', 'flash', 'ram', 'ram'],
    );
    assert.equal(s2.flashSize, '2MB');
    assert.equal(s2.flashFreq, '80m');
    assert.equal(s2.entry, 0x40022f84);
    assert.ok(s2.appDesc, 'the blink app carries an app descriptor');
  });

  it('tiny RAM-only hello-world images', () => {
    const e = parseImage(load('helloworld-esp32.bin')).info!;
    assert.deepEqual(
      e.segments.map((s) => [s.addr, s.length]),
      [
        [0x3ffc0000, 0x10],
        [0x4008c000, 0x18],
      ],
    );
    assert.equal(e.entry, 0x4008c008);
    assert.ok(e.checksum.ok && e.sha256?.ok);
    const c = parseImage(load('helloworld-esp32c3.bin')).info!;
    assert.deepEqual(
      c.segments.map((s) => s.addr),
      [0x3fcdfd00, 0x403dfd00],
    );
    assert.equal(c.maxRevFull, 65535);
  });

  it('header samples: revision fields (the C3 one is a complete one-segment image)', () => {
    const r = parseImage(load('esp32c3_header_min_rev.bin'), { file: 'hdr.bin' });
    assert.deepEqual(errors(r), []);
    assert.equal(r.info?.chipId, 5);
    assert.equal(r.info?.minRev, 0);
    assert.equal(r.info?.minRevFull, 255);
    assert.equal(r.info?.maxRevFull, 65535);
    assert.equal(r.info?.entry, 0xdeadbeef);
    assert.deepEqual(
      r.info?.segments.map((s) => [s.addr, s.length]),
      [[0xdeadbeef, 0]],
    );
    const s3 = parseImage(load('esp32s3_header.bin')).info!;
    assert.equal(s3.chipId, 9);
    assert.equal(s3.minRev, 10);
    assert.equal(s3.minRevFull, 0);
    assert.equal(s3.maxRevFull, 0);
  });

  it('the digest it verifies is the SHA-256 of the bytes before it', () => {
    const b = load('bootloader_esp32c3.bin');
    const i = parseImage(b).info!;
    const end = i.imageLength - 32;
    assert.equal(i.sha256?.stored, createHash('sha256').update(b.subarray(0, end)).digest('hex'));
  });
});
