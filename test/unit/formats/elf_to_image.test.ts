import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { EM_RISCV, EM_XTENSA, parseElf } from '../../../src/core/formats/elf';
import { elfToImage } from '../../../src/core/formats/elf_to_image';
import { writeAppDescriptor } from '../../../src/core/formats/image_descriptors';
import { parseImage } from '../../../src/core/formats/image_parse';
import { writeElf } from './elf_writer';
import { IMAGES, describeShared } from './shared_corpus';

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

/** Independent checks of the footer: checksum over segment data, digest over everything before it. */
function checkFooter(img: Uint8Array, segs: { dataOffset: number; length: number }[]): void {
  let c = 0xef;
  for (const s of segs) for (let i = s.dataOffset; i < s.dataOffset + s.length; i++) c ^= img[i];
  const end = segs[segs.length - 1].dataOffset + segs[segs.length - 1].length;
  const csPos = end + (15 - (end % 16));
  assert.equal(img[csPos], c, 'checksum byte');
  for (let i = end; i < csPos; i++) assert.equal(img[i], 0, 'zero padding before the checksum');
  assert.equal(img.length, csPos + 1 + 32);
  assert.equal(
    Buffer.from(img.subarray(csPos + 1)).toString('hex'),
    createHash('sha256')
      .update(img.subarray(0, csPos + 1))
      .digest('hex'),
  );
}

describe('ELF → image (self-made ELF)', () => {
  const desc = writeAppDescriptor({ projectName: 'rusty', version: '0.1.0', idfVersion: '', date: 'Jan 1 2026', time: '00:00:00' });
  const elf = writeElf(EM_RISCV, 0x42000100, [
    { name: '.flash.appdesc', addr: 0x3c000020, data: desc },
    { name: '.flash.rodata', addr: 0x3c000120, data: bytes(0x302, 1) },
    { name: '.flash.text', addr: 0x42000100, data: bytes(0x400, 2) },
    { name: '.dram0.data', addr: 0x3fc80000, data: bytes(0x40, 3) },
    { name: '.iram0.text', addr: 0x40380000, data: bytes(0x80, 4) },
    { name: '.dram0.bss', addr: 0x3fc81000, data: new Uint8Array(0x20), type: 8 },
    { name: '.debug_info', addr: 0, data: bytes(0x10, 5), flags: 0 },
    { name: '.zero_addr', addr: 0, data: bytes(0x10, 6) },
  ]);

  it('takes allocated PROGBITS sections with an address, merges, aligns and fills in the ELF SHA-256', () => {
    const img = elfToImage(elf, { chip: 'esp32c3' });
    assert.deepEqual(img.sections, ['.flash.appdesc', '.flash.rodata', '.flash.text', '.dram0.data', '.iram0.text']);
    assert.equal(img.hasAppDesc, true);
    assert.equal(img.elfSha256, createHash('sha256').update(elf).digest('hex'));
    const r = parseImage(img.bytes);
    assert.deepEqual(r.problems, []);
    const info = r.info!;
    assert.equal(info.chipId, 5);
    assert.equal(info.entry, 0x42000100);
    assert.equal(info.hashAppended, true);
    assert.equal(info.appDesc?.projectName, 'rusty');
    assert.equal(info.appDesc?.elfSha256, img.elfSha256);
    // appdesc + rodata merged (0x100 + 0x302 → padded 0x404), first; then RAM slices as filler; IROM aligned.
    assert.equal(info.segments[0].addr, 0x3c000020);
    assert.equal(info.segments[0].length, 0x404);
    const irom = info.segments.find((s) => s.addr === 0x42000100)!;
    assert.equal(irom.dataOffset % 0x10000, 0x100);
    assert.equal(irom.length, 0x400);
    // Too little RAM data to fill the gap before IROM: the RAM slices plus a zero filler at address 0.
    const ram = info.segments.filter((s) => s.mapping === 'ram' && s.addr !== 0);
    assert.equal(info.segments.filter((s) => s.addr === 0).length, 1);
    assert.deepEqual([...new Set(ram.map((s) => s.addr & 0xfff00000))].sort(), [0x3fc00000, 0x40300000]);
    assert.equal(
      ram.reduce((n, s) => n + s.length, 0),
      0xc0,
    );
    checkFooter(img.bytes, info.segments);
    // Segment data is the section data.
    assert.deepEqual(img.bytes.subarray(irom.dataOffset, irom.dataOffset + 0x400), bytes(0x400, 2));
  });

  it('says what is wrong with ELFs it cannot convert', () => {
    assert.throws(() => elfToImage(elf, { chip: 'esp32s3', file: 'fw' }), /fw: ELF machine 243 is not Xtensa \(94\) as ESP32-S3 needs/);
    assert.throws(() => elfToImage(new Uint8Array(100), { chip: 'esp32c3', file: 'x.bin' }), /x\.bin: not an ELF file/);
    assert.throws(() => parseElf(elf.subarray(0, 200), 'cut.elf'), /cut\.elf: the section table .* lies outside the file; the ELF is truncated/);
    const none = writeElf(EM_XTENSA, 0, [{ name: '.debug', addr: 0, data: bytes(4, 1), flags: 0 }]);
    assert.throws(() => elfToImage(none, { chip: 'esp32', file: 'empty.elf' }), /empty\.elf: no loadable sections/);
  });
});

describeShared('ELF → image (../shared/images ELFs)', () => {
  it('esp32-bootloader.elf: three RAM segments, header and footer field by field', () => {
    const elfBytes = new Uint8Array(readFileSync(path.join(IMAGES, 'esp32-bootloader.elf')));
    const img = elfToImage(elfBytes, { chip: 'esp32', flashMode: 'dio', flashSize: '2MB', flashFreq: '40m' });
    const b = img.bytes;
    // Header.
    assert.equal(b[0], 0xe9);
    assert.equal(b[1], 3);
    assert.equal(b[2], 2, 'DIO');
    assert.equal(b[3], 0x10, '2MB, 40 MHz');
    assert.equal(Buffer.from(b).readUInt32LE(4), 0x40098118, 'ELF entry point');
    assert.equal(b[8], 0xee);
    assert.equal(b[12] | (b[13] << 8), 0, 'chip id ESP32');
    assert.equal(b[23], 1, 'digest appended');
    // Segments: .dram0.rodata, .iram_pool_1.text (0xaa1 padded to 0xaa4), .iram1.text; empty .dram0.data skipped.
    const info = parseImage(b).info!;
    assert.deepEqual(
      info.segments.map((s) => [s.addr, s.length, s.dataOffset]),
      [
        [0x3ffc0000, 0x398, 0x20],
        [0x40078000, 0xaa4, 0x20 + 0x398 + 8],
        [0x40098000, 0x1fc, 0x20 + 0x398 + 8 + 0xaa4 + 8],
      ],
    );
    const elf = Buffer.from(elfBytes);
    assert.deepEqual(b.subarray(0x20, 0x20 + 0x398), new Uint8Array(elf.subarray(0xb4, 0xb4 + 0x398)));
    const s1 = info.segments[1].dataOffset;
    assert.deepEqual(b.subarray(s1, s1 + 0xaa1), new Uint8Array(elf.subarray(0x44c, 0x44c + 0xaa1)));
    assert.deepEqual(Array.from(b.subarray(s1 + 0xaa1, s1 + 0xaa4)), [0, 0, 0]);
    const s2 = info.segments[2].dataOffset;
    assert.deepEqual(b.subarray(s2, s2 + 0x1fc), new Uint8Array(elf.subarray(0xef0, 0xef0 + 0x1fc)));
    assert.equal(b.length, 4240);
    checkFooter(b, info.segments);
    assert.equal(img.hasAppDesc, false);
  });

  it('esp32c6-appdesc.elf: one flash segment, the app descriptor gets the ELF SHA-256', () => {
    const elfBytes = new Uint8Array(readFileSync(path.join(IMAGES, 'esp32c6-appdesc.elf')));
    const img = elfToImage(elfBytes, { chip: 'esp32c6' });
    const b = img.bytes;
    assert.equal(b[1], 1);
    assert.equal(Buffer.from(b).readUInt32LE(4), 0x42000020);
    assert.equal(b[12] | (b[13] << 8), 13, 'chip id ESP32-C6');
    const info = parseImage(b).info!;
    assert.deepEqual(
      info.segments.map((s) => [s.addr, s.length, s.dataOffset, s.mapping]),
      [[0x42000020, 0x100, 0x20, 'flash']],
    );
    const elfSha = createHash('sha256').update(elfBytes).digest('hex');
    assert.ok(elfSha.startsWith('10eb99e6b6bc87b9'));
    assert.equal(info.appDesc?.elfSha256, elfSha);
    // Everything but the 32 SHA bytes at descriptor offset 0x90 is the section's data.
    const section = Buffer.from(elfBytes).subarray(0x1020, 0x1120);
    assert.deepEqual(b.subarray(0x20, 0x20 + 0x90), new Uint8Array(section.subarray(0, 0x90)));
    assert.deepEqual(b.subarray(0x20 + 0xb0, 0x20 + 0x100), new Uint8Array(section.subarray(0xb0, 0x100)));
    assert.equal(info.appDesc?.idfVersion, 'z'.repeat(31));
    assert.equal(b.length, 336);
    checkFooter(b, info.segments);
  });
});
