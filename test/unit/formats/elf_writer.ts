/** Writes minimal ELF32 little-endian executables for tests (sections only, no program headers). */

export interface TestSection {
  name: string;
  addr: number;
  data: Uint8Array;
  /** Default PROGBITS (1). */
  type?: number;
  /** Default SHF_ALLOC (2). */
  flags?: number;
}

export function writeElf(machine: number, entry: number, sections: TestSection[]): Uint8Array {
  const names = ['', ...sections.map((s) => s.name), '.shstrtab'];
  const strtab: number[] = [];
  const nameOff = names.map((n) => {
    const at = strtab.length;
    for (const c of Buffer.from(n)) strtab.push(c);
    strtab.push(0);
    return at;
  });
  let pos = 52;
  const dataOff = sections.map((s) => {
    const at = pos;
    pos += s.data.length;
    pos = (pos + 3) & ~3;
    return at;
  });
  const strOff = pos;
  pos += strtab.length;
  pos = (pos + 3) & ~3;
  const shoff = pos;
  const shnum = sections.length + 2;
  const out = Buffer.alloc(shoff + shnum * 40);
  out.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1], 0);
  out.writeUInt16LE(2, 16); // ET_EXEC
  out.writeUInt16LE(machine, 18);
  out.writeUInt32LE(1, 20);
  out.writeUInt32LE(entry, 24);
  out.writeUInt32LE(shoff, 32);
  out.writeUInt16LE(52, 40);
  out.writeUInt16LE(40, 46);
  out.writeUInt16LE(shnum, 48);
  out.writeUInt16LE(shnum - 1, 50);
  sections.forEach((s, i) => out.set(s.data, dataOff[i]));
  out.set(strtab, strOff);
  const sh = (i: number, name: number, type: number, flags: number, addr: number, off: number, size: number) => {
    const at = shoff + i * 40;
    out.writeUInt32LE(name, at);
    out.writeUInt32LE(type, at + 4);
    out.writeUInt32LE(flags, at + 8);
    out.writeUInt32LE(addr, at + 12);
    out.writeUInt32LE(off, at + 16);
    out.writeUInt32LE(size, at + 20);
  };
  sections.forEach((s, i) => sh(i + 1, nameOff[i + 1], s.type ?? 1, s.flags ?? 2, s.addr, dataOff[i], s.data.length));
  sh(shnum - 1, nameOff[names.length - 1], 3, 0, 0, strOff, strtab.length);
  return new Uint8Array(out);
}
