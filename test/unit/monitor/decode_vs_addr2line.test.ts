import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { parseElf } from '../../../src/core/formats/elf';
import { executableSections } from '../../../src/core/formats/elf_symbols';
import { ElfDecoder } from '../../../src/core/monitor/elf_decoder';
import { addr2line, addr2lineInstalled, compileDwarfElf, SHARED_ELF } from './addr2line_helpers';

/** Every `step`-th address of the ELF's code, decoded by us and by addr2line. */
function compare(file: string, step: number): { checked: number; withLine: number } {
  const bytes = new Uint8Array(fs.readFileSync(file));
  const d = new ElfDecoder(file, bytes);
  const addrs: number[] = [];
  for (const s of executableSections(parseElf(bytes))) for (let a = s.addr; a < s.addr + s.size; a += step) addrs.push(a);
  const theirs = addr2line(file, addrs);
  let withLine = 0;
  addrs.forEach((a, i) => {
    const ours = d.decode(a);
    const t = theirs[i];
    assert.equal(ours.where, 'code');
    const mine = ours.line ? `${ours.file}:${ours.line}` : '??';
    const ref = t.line ? `${t.file}:${t.line}` : '??';
    assert.equal(mine, ref, `file:line of 0x${a.toString(16)}`);
    if (t.outerFunc !== '??' && ours.func) assert.equal(ours.func, t.outerFunc, `function of 0x${a.toString(16)}`);
    if (ours.line) withLine++;
  });
  return { checked: addrs.length, withLine };
}

describe('crash decoding matches binutils addr2line', function () {
  this.timeout(30000);
  if (!addr2lineInstalled()) {
    it('addr2line not installed: skipped', function () {
      console.log('      binutils addr2line not installed (apt-get install binutils): decoding comparison skipped');
      this.skip();
    });
    return;
  }

  it('real ESP32 (Xtensa) ELF from ../shared, DWARF 4: every 5th code address, file:line and function', function () {
    if (!fs.existsSync(SHARED_ELF)) {
      console.log('      shared images not present: skipped');
      this.skip();
    }
    const r = compare(SHARED_ELF, 5);
    assert.ok(r.checked > 500 && r.withLine > r.checked / 2, `checked ${r.checked}, ${r.withLine} with a line`);
  });

  for (const version of [4, 5] as const) {
    it(`DWARF ${version} line table (gcc -gdwarf-${version}, include directories, an inlined header function)`, function () {
      const elf = compileDwarfElf(version);
      if (!elf) {
        console.log('      gcc with 32-bit support (gcc-multilib) not installed: skipped');
        this.skip();
      }
      const r = compare(elf!, 1);
      assert.ok(r.withLine > 10, `${r.withLine} addresses with a line`);
    });
  }
});
