/**
 * Function symbols of an ELF32 file (.symtab, else .dynsym), sorted by address, on top of the
 * section reader in elf.ts. Used to name crash addresses.
 */
import { u16, u32, cString } from './bytes';
import { type ElfFile, type ElfSection, sectionData } from './elf';

export const SHT_SYMTAB = 2;
export const SHT_DYNSYM = 11;
const STT_FUNC = 2;
const SHF_EXECINSTR = 0x4;

export interface ElfSymbol {
  name: string;
  addr: number;
  size: number;
}

export function executableSections(elf: ElfFile): ElfSection[] {
  return elf.sections.filter((s) => (s.flags & SHF_EXECINSTR) !== 0 && s.size > 0 && s.addr !== 0);
}

/** FUNC symbols with a name, sorted by address (largest size first at equal addresses). */
export function functionSymbols(elf: ElfFile, file = 'ELF file'): ElfSymbol[] {
  const tab = elf.sections.find((s) => s.type === SHT_SYMTAB) ?? elf.sections.find((s) => s.type === SHT_DYNSYM);
  if (!tab) return [];
  const data = sectionData(elf, tab, file);
  const linkIndex = sectionLink(elf, tab);
  const strSec = elf.sections[linkIndex];
  if (!strSec) return [];
  const strings = sectionData(elf, strSec, file);
  const out: ElfSymbol[] = [];
  for (let at = 0; at + 16 <= data.length; at += 16) {
    const info = data[at + 12];
    if ((info & 0xf) !== STT_FUNC) continue;
    const shndx = u16(data, at + 14);
    if (shndx === 0) continue;
    const name = cString(strings, u32(data, at), strings.length);
    if (!name) continue;
    out.push({ name, addr: u32(data, at + 4), size: u32(data, at + 8) });
  }
  out.sort((a, b) => a.addr - b.addr || b.size - a.size);
  return out;
}

/** sh_link of a section: read from the raw section header (elf.ts keeps only what images need). */
function sectionLink(elf: ElfFile, s: ElfSection): number {
  const b = elf.bytes;
  const shoff = u32(b, 32);
  const shentsize = u16(b, 46);
  const index = elf.sections.indexOf(s);
  return u32(b, shoff + index * shentsize + 24);
}

/** The function symbol that holds `addr` (by size; a zero-size symbol holds up to the next one). */
export function symbolAt(symbols: ElfSymbol[], addr: number): ElfSymbol | undefined {
  let lo = 0;
  let hi = symbols.length - 1;
  let best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (symbols[mid].addr <= addr) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  // Several symbols may start at or before addr: take the nearest whose range holds it.
  for (let i = best; i >= 0 && i > best - 8; i--) {
    const s = symbols[i];
    if (s.size > 0 ? addr < s.addr + s.size : i === best && (symbols[i + 1] === undefined || addr < symbols[i + 1].addr)) return s;
  }
  return undefined;
}
