/** Minimal ELF32 little-endian reader: header, section table, section data (for ELF → image). */
import { cString, u16, u32 } from './bytes';
import { FormatError } from './format_error';

export const SHT_PROGBITS = 1;
export const SHT_NOBITS = 8;
export const SHT_INIT_ARRAY = 14;
export const SHT_FINI_ARRAY = 15;
export const SHT_PREINIT_ARRAY = 16;
export const SHF_ALLOC = 0x2;
export const EM_XTENSA = 94;
export const EM_RISCV = 243;

export interface ElfSection {
  name: string;
  type: number;
  flags: number;
  addr: number;
  offset: number;
  size: number;
}

export interface ElfFile {
  machine: number;
  entry: number;
  sections: ElfSection[];
  bytes: Uint8Array;
}

export function isElf(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;
}

export function parseElf(b: Uint8Array, file = 'ELF file'): ElfFile {
  if (!isElf(b)) throw new FormatError(`${file}: not an ELF file (no \\x7fELF magic at offset 0).`, file);
  if (b.length < 52) throw new FormatError(`${file}: ${b.length} bytes is too short for an ELF header; the file is truncated.`, file);
  if (b[4] === 2) throw new FormatError(`${file}: 64-bit ELF; ESP chips run 32-bit code. Pick the firmware ELF for the chip.`, file);
  if (b[4] !== 1) throw new FormatError(`${file}: ELF class byte ${b[4]} (offset 4) is neither 32- nor 64-bit; the file is corrupt.`, file);
  if (b[5] !== 1) throw new FormatError(`${file}: not a little-endian ELF (data byte ${b[5]} at offset 5); ESP chips are little-endian.`, file);
  const machine = u16(b, 18);
  const entry = u32(b, 24);
  const shoff = u32(b, 32);
  const shentsize = u16(b, 46);
  const shnum = u16(b, 48);
  const shstrndx = u16(b, 50);
  if (shnum === 0 || shentsize < 40 || shoff + shnum * shentsize > b.length) {
    throw new FormatError(`${file}: the section table (offset ${shoff}, ${shnum} × ${shentsize} bytes) lies outside the file; the ELF is truncated or stripped of sections.`, file);
  }
  const raw = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * shentsize;
    raw.push({
      nameOff: u32(b, at),
      type: u32(b, at + 4),
      flags: u32(b, at + 8),
      addr: u32(b, at + 12),
      offset: u32(b, at + 16),
      size: u32(b, at + 20),
    });
  }
  const strtab = raw[shstrndx];
  if (!strtab || strtab.offset + strtab.size > b.length) throw new FormatError(`${file}: section-name table index ${shstrndx} is invalid.`, file);
  const sections = raw.map((s) => ({
    name: cString(b, strtab.offset + s.nameOff, Math.max(0, strtab.size - s.nameOff)),
    type: s.type,
    flags: s.flags,
    addr: s.addr,
    offset: s.offset,
    size: s.size,
  }));
  return { machine, entry, sections, bytes: b };
}

/** Sections that become image segments (§6.3 step 1). */
export function loadableSections(elf: ElfFile): ElfSection[] {
  return elf.sections.filter(
    (s) =>
      (s.flags & SHF_ALLOC) !== 0 &&
      s.size > 0 &&
      s.addr !== 0 &&
      (s.type === SHT_PROGBITS || s.type === SHT_INIT_ARRAY || s.type === SHT_FINI_ARRAY || s.type === SHT_PREINIT_ARRAY),
  );
}

export function sectionData(elf: ElfFile, s: ElfSection, file = 'ELF file'): Uint8Array {
  if (s.offset + s.size > elf.bytes.length) {
    throw new FormatError(`${file}: section ${s.name} (offset ${s.offset}, ${s.size} bytes) lies outside the file; the ELF is truncated.`, file, s.name);
  }
  return elf.bytes.subarray(s.offset, s.offset + s.size);
}
