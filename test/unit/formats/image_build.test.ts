import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { buildImage } from '../../../src/core/formats/image_build';
import { writeAppDescriptor } from '../../../src/core/formats/image_descriptors';
import { parseImage } from '../../../src/core/formats/image_parse';

const fill = (n: number, v: number) => new Uint8Array(n).fill(v);
const base = { entry: 0x42000020, flashMode: 'dio', flashSize: '4MB', flashFreq: '80m' } as const;

describe('image build (§6.1, §6.3 layout)', () => {
  it('puts every flash segment at a file offset congruent to its address modulo the MMU page', () => {
    const built = buildImage(
      [
        { addr: 0x3c000020, data: fill(0x1234, 1) },
        { addr: 0x42000020, data: fill(0x800, 2) },
        { addr: 0x3fc80000, data: fill(0x20000, 3) },
        { addr: 0x40380000, data: fill(0x100, 4) },
      ],
      { chip: 'esp32c3', ...base },
    );
    const info = parseImage(built.bytes).info!;
    assert.ok(info.checksum.ok && info.sha256?.ok);
    for (const s of info.segments.filter((x) => x.mapping === 'flash')) {
      assert.equal(s.dataOffset % 0x10000, s.addr % 0x10000, `segment at ${s.addr.toString(16)}`);
    }
    // The gap before IROM is filled with a slice of the first RAM segment, not zeros.
    assert.deepEqual(
      built.segments.map((s) => s.kind),
      ['flash', 'ram', 'flash', 'ram', 'ram'],
    );
    assert.equal(built.segments[1].addr, 0x3fc80000);
    assert.equal(built.segments[3].addr, 0x3fc80000 + built.segments[1].length, 'the rest of the RAM segment follows');
    const ramTotal = built.segments.filter((s) => s.kind === 'ram' && s.addr < 0x40000000).reduce((n, s) => n + s.length, 0);
    assert.equal(ramTotal, 0x20000);
  });

  it('uses a zero-filled segment at address 0 when no RAM data is left', () => {
    const built = buildImage(
      [
        { addr: 0x3c000020, data: fill(0x100, 1) },
        { addr: 0x42000020, data: fill(0x100, 2) },
      ],
      { chip: 'esp32c3', ...base },
    );
    assert.deepEqual(
      built.segments.map((s) => s.kind),
      ['flash', 'filler', 'flash'],
    );
    assert.equal(built.segments[1].addr, 0);
    const info = parseImage(built.bytes).info!;
    const f = info.segments[1];
    assert.ok(built.bytes.subarray(f.dataOffset, f.dataOffset + f.length).every((b) => b === 0));
    assert.equal(info.segments[2].dataOffset % 0x10000, 0x20);
  });

  it('ESP32 only: pads a flash segment that ends less than 0x24 bytes past a page boundary', () => {
    const len = 0x10000 - 32 + 0x10; // data starts at file offset 32, ends 0x10 past 0x10000
    const esp32 = buildImage([{ addr: 0x3f400020, data: fill(len, 5) }], { chip: 'esp32', ...base, flashFreq: '40m', entry: 0x40080000 });
    assert.equal(esp32.segments[0].length, len + 0x14);
    const c3 = buildImage([{ addr: 0x3c000020, data: fill(len, 5) }], { chip: 'esp32c3', ...base });
    assert.equal(c3.segments[0].length, len);
  });

  it('merges address-adjacent sections, pads lengths to 4, and moves the app descriptor first', () => {
    const desc = writeAppDescriptor({ projectName: 'p', version: '1', idfVersion: 'v5', date: 'd', time: 't' });
    const sha = createHash('sha256').update('elf').digest();
    const built = buildImage(
      [
        { addr: 0x3c000000, data: fill(0x20, 9), name: '.flash.rodata_early' },
        { addr: 0x3c100020, data: desc, name: '.flash.appdesc' },
        { addr: 0x3c100120, data: fill(3, 7), name: '.flash.rodata' },
      ],
      { chip: 'esp32c3', ...base, elfSha256: sha },
    );
    const info = parseImage(built.bytes).info!;
    assert.equal(info.segments[0].addr, 0x3c100020, 'app descriptor segment first');
    assert.equal(info.segments[0].length, 0x104, '256 + 3 merged and padded to 4');
    assert.equal(info.appDesc?.elfSha256, sha.toString('hex'));
  });

  it('refuses settings the chip cannot encode, and more than 16 segments', () => {
    assert.throws(
      () => buildImage([{ addr: 0x3fc80000, data: fill(4, 1) }], { chip: 'esp32c2', ...base, flashFreq: '80m' }),
      /Flash frequency "80m" is not valid for ESP32-C2 \(valid: 60m, 30m, 20m, 15m\)/,
    );
    assert.throws(() => buildImage([{ addr: 0x3fc80000, data: fill(4, 1) }], { chip: 'esp32c3', ...base, flashSize: '3MB' }), /Flash size "3MB"/);
    const many = Array.from({ length: 17 }, (_, i) => ({ addr: 0x3fc80000 + i * 0x100, data: fill(4, 1) }));
    assert.throws(() => buildImage(many, { chip: 'esp32c3', ...base }), /17 segments; the ROM loads at most 16/);
    assert.throws(() => buildImage([], { chip: 'esp32c3', ...base }), /no segments/);
  });

  it('encodes chip-specific frequencies: C2 60m = 0xF, H2 48m = 0xF, C6 80m = 0', () => {
    for (const [chip, freq, nib] of [
      ['esp32c2', '60m', 0xf],
      ['esp32h2', '48m', 0xf],
      ['esp32c6', '80m', 0],
    ] as const) {
      const b = buildImage([{ addr: 0x3fc80000, data: fill(4, 1) }], { chip, ...base, flashFreq: freq }).bytes;
      assert.equal(b[3] & 0x0f, nib, chip);
      assert.equal(b[3] >> 4, 2, '4MB');
    }
  });
});
