/**
 * Names code addresses from an app's ELF: function from the symbol table, file:line from the
 * DWARF line table; addresses in the chip's mask ROM are "in ROM". Says what is missing when
 * the ELF is stripped, and computes the ELF's SHA-256 (what ESP-IDF apps print as
 * "ELF file SHA256") to tell whether the ELF belongs to the running app.
 */
import { FileError } from '../errors';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { ROM_CODE, type ChipName } from '../chips';
import { EM_RISCV, EM_XTENSA, parseElf, sectionData, type ElfFile } from '../formats/elf';
import { executableSections, functionSymbols, symbolAt, type ElfSymbol } from '../formats/elf_symbols';
import { lineAt, readLineTable, type LineRow } from '../formats/dwarf_line';

export interface DecodedFrame {
  addr: number;
  /** code: inside the ELF's code; rom: the chip's mask ROM; unknown: neither (data, corrupt, other build). */
  where: 'code' | 'rom' | 'unknown';
  func?: string;
  file?: string;
  line?: number;
}

export class ElfDecoder {
  readonly sha256: string;
  readonly arch: 'xtensa' | 'riscv' | 'other';
  /** What this ELF lacks for decoding ("no line table (built without -g or stripped)" …). */
  readonly missing: string[] = [];
  private readonly symbols: ElfSymbol[];
  private readonly lines: LineRow[];
  private readonly code: [number, number][];

  constructor(
    readonly file: string,
    bytes: Uint8Array,
    readonly chip?: ChipName,
  ) {
    this.sha256 = createHash('sha256').update(bytes).digest('hex');
    const elf: ElfFile = parseElf(bytes, file);
    this.arch = elf.machine === EM_XTENSA ? 'xtensa' : elf.machine === EM_RISCV ? 'riscv' : 'other';
    this.symbols = functionSymbols(elf, file);
    if (!this.symbols.length) this.missing.push('no function symbols (the ELF is stripped)');
    const sec = (name: string): Uint8Array | undefined => {
      const s = elf.sections.find((x) => x.name === name);
      return s && s.type !== 8 ? sectionData(elf, s, file) : undefined;
    };
    const debugLine = sec('.debug_line');
    let lines: LineRow[] = [];
    if (!debugLine) this.missing.push('no line table (.debug_line absent: built without debug information or stripped)');
    else {
      try {
        lines = readLineTable({ debugLine, debugInfo: sec('.debug_info'), debugAbbrev: sec('.debug_abbrev'), debugStr: sec('.debug_str'), debugLineStr: sec('.debug_line_str') });
      } catch (e) {
        this.missing.push(`line table unreadable (${(e as Error).message})`);
      }
    }
    this.lines = lines;
    this.code = executableSections(elf).map((s) => [s.addr, s.addr + s.size]);
  }

  static load(file: string, chip?: ChipName): ElfDecoder {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(fs.readFileSync(file));
    } catch (e) {
      throw new FileError(
        `Cannot read the ELF file ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); crash addresses will not be decoded. Check the path (ESP-IDF: build/<app>.elf, PlatformIO: .pio/build/<env>/firmware.elf).`,
        file,
        (e as NodeJS.ErrnoException).code,
      );
    }
    return new ElfDecoder(file, bytes, chip);
  }

  isCode(addr: number): boolean {
    return this.code.some(([a, b]) => addr >= a && addr < b);
  }

  isRom(addr: number): boolean {
    const ranges = this.chip ? [ROM_CODE[this.chip]] : Object.values(ROM_CODE);
    return ranges.some(([a, b]) => addr >= a && addr < b);
  }

  decode(addr: number): DecodedFrame {
    if (this.isCode(addr)) {
      const sym = symbolAt(this.symbols, addr);
      const row = lineAt(this.lines, addr);
      return { addr, where: 'code', func: sym?.name, file: row?.file, line: row?.line };
    }
    if (this.isRom(addr)) return { addr, where: 'rom' };
    return { addr, where: 'unknown' };
  }

  /**
   * Does the SHA-256 prefix the app printed match this ELF? undefined when nothing was printed.
   */
  matches(printedSha: string | undefined): boolean | undefined {
    if (!printedSha) return undefined;
    const p = printedSha.toLowerCase();
    return p.length >= 8 && this.sha256.startsWith(p);
  }
}
