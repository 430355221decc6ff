import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { CrashDecoder, formatFrame, imageMismatchNote } from '../../../src/core/monitor/crash_decoder';
import { ElfDecoder } from '../../../src/core/monitor/elf_decoder';
import { addr2line, addr2lineInstalled, SHARED_ELF } from './addr2line_helpers';

const hex8 = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

describe('crash decoder: ESP-IDF panic output', function () {
  if (!fs.existsSync(SHARED_ELF)) {
    it('shared images not present: skipped', function () {
      console.log('      shared images not present: crash decoder tests on the real ELF skipped');
      this.skip();
    });
    return;
  }
  const bytes = new Uint8Array(fs.readFileSync(SHARED_ELF));
  const elf = new ElfDecoder(SHARED_ELF, bytes, 'esp32');
  // Code addresses of the real ELF: call_start_cpu0 (entry) and two more inside it.
  const pcs = [0x40098118, 0x40098130, 0x40098150];

  it('Xtensa Guru Meditation + Backtrace: each PC as function at file:line, ROM addresses "in ROM"; matches addr2line', function () {
    const d = new CrashDecoder(elf);
    const text = [
      "Guru Meditation Error: Core  0 panic'ed (LoadProhibited). Exception was unhandled.",
      `PC      : ${hex8(pcs[0])}  PS      : 0x00060730  A0      : 0x800d2c4e  A1      : 0x3ffb5f00`,
      `Backtrace: ${pcs.map((p) => `${hex8(p)}:0x3ffb5f00`).join(' ')} 0x40007d10:0x3ffb5f40 |<-CORRUPTED`,
    ];
    const out = text.flatMap((l) => d.line(l));
    assert.equal(out.length, 1 + pcs.length + 1, out.join('\n'));
    assert.match(out[0], /^--- PC 0x40098118: call_start_cpu0 at .*bootloader_start\.c:\d+$/);
    assert.equal(out[out.length - 1], '--- 0x40007d10: in ROM');
    if (addr2lineInstalled()) {
      const ref = addr2line(SHARED_ELF, pcs);
      pcs.forEach((p, i) => assert.equal(out[1 + i], `--- ${hex8(p)}: ${ref[i].outerFunc} at ${ref[i].file}:${ref[i].line}`));
    }
  });

  it('RISC-V register dump and stack memory, abort(), lines outside a panic are left alone', () => {
    const d = new CrashDecoder(elf);
    assert.deepEqual(d.line(`I (10) app: value ${hex8(pcs[0])}`), [], 'not a panic: nothing decoded');
    assert.equal(d.line(`abort() was called at PC ${hex8(pcs[1])} on core 0`)[0], formatFrame(elf.decode(pcs[1])));
    const regs = d.line(`MEPC    : ${hex8(pcs[0])}  RA      : ${hex8(pcs[2])}  SP      : 0x3fc8f0a0  GP      : 0x3fc8e000`);
    assert.deepEqual(regs, [formatFrame(elf.decode(pcs[0]), 'MEPC'), formatFrame(elf.decode(pcs[2]), 'RA')]);
    assert.deepEqual(d.line('Stack memory:'), []);
    assert.deepEqual(d.line(`3fc8f0a0: 0x3fc90000 ${hex8(pcs[1])} 0x00000000 0xa5a5a5a5`), [formatFrame(elf.decode(pcs[1]), '(stack)')]);
    d.line('Rebooting...');
    assert.deepEqual(d.line(`Backtrace: ${hex8(pcs[0])}:0x3ffb5f00`), [], 'after the reboot: no longer in a panic');
  });

  it('assert failed starts a panic; ELF SHA-256 of another build gives a warning, a matching one none', () => {
    const d = new CrashDecoder(elf);
    d.line('assert failed: app_main main.c:12 (x == 1)');
    assert.equal(d.line(`Backtrace: ${hex8(pcs[0])}:0x3ffb5f00`).length, 1);
    assert.deepEqual(new CrashDecoder(elf).line(`ELF file SHA256: ${elf.sha256.slice(0, 16)}`), []);
    const w = new CrashDecoder(elf).line('I (104) app_init: ELF file SHA256:  0123456789abcdef...');
    assert.match(
      w[0],
      /Warning: the running app's ELF SHA-256 starts 0123456789abcdef, but .*esp32-bootloader\.elf has ec58a07e847ccb40…: it is another build, so decoded addresses may be wrong/,
    );
  });

  it("the build's app image names its ELF (esp_app_desc SHA-256): another ELF is warned about, the same one or an empty field is not", () => {
    assert.equal(imageMismatchNote(elf, elf.sha256, 'build/app.bin'), undefined);
    assert.equal(imageMismatchNote(elf, '0'.repeat(64), 'build/app.bin'), undefined);
    assert.equal(imageMismatchNote(elf, undefined), undefined);
    assert.match(
      imageMismatchNote(elf, 'ab'.repeat(32), 'build/app.bin') ?? '',
      /^--- Warning: build\/app\.bin was built from an ELF with SHA-256 abababababababab…, but .*esp32-bootloader\.elf has ec58a07e847ccb40…: it is another build, so decoded addresses may be wrong\./,
    );
  });

  it('no ELF, or an ELF without a line table: monitoring goes on, decoding says what is missing', () => {
    const none = new CrashDecoder(undefined, { noElfReason: 'no ELF file found in build/' });
    none.line("Guru Meditation Error: Core  0 panic'ed (IllegalInstruction). Exception was unhandled.");
    assert.deepEqual(none.line(`Backtrace: ${hex8(pcs[0])}:0x3ffb5f00`), ['--- Crash addresses not decoded: no ELF file found in build/.']);
    // Rename .debug_line in a copy of the ELF: as if stripped of line information.
    const copy = Uint8Array.from(bytes);
    const at = Buffer.from(copy).indexOf('.debug_line\0');
    copy[at + 1] = 'x'.charCodeAt(0);
    const stripped = new ElfDecoder('stripped.elf', copy);
    const d = new CrashDecoder(stripped);
    d.line("Guru Meditation Error: Core  0 panic'ed (IllegalInstruction). Exception was unhandled.");
    const out = d.line(`Backtrace: ${hex8(pcs[0])}:0x3ffb5f00`);
    assert.match(out[0], /^--- Decoding is partial: stripped\.elf has no line table/);
    assert.equal(out[1], '--- 0x40098118: call_start_cpu0 (no line information)');
  });

  it('decode mode (esp-flasher decode): every code address on every line', () => {
    const d = new CrashDecoder(elf, { everyLine: true });
    const out = d.line(`crashed near ${hex8(pcs[0])} and 0x3ffb0000 (data) and 0x40001234`);
    assert.deepEqual(out, [formatFrame(elf.decode(pcs[0])), '--- 0x40001234: in ROM']);
  });
});
