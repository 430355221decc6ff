/**
 * DWARF line tables (.debug_line, versions 2–5) turned into sorted address ranges, for naming
 * crash addresses as file:line. The compile-unit header in .debug_info gives each line program
 * its compilation directory (directory 0 in DWARF 4 and older).
 *
 * No npm package fits: the registry's DWARF packages are WebAssembly debugger plug-ins, not line
 * table readers, so this reads the format directly (DWARF 5 standard §6.2, §7.5).
 */
import { FormatError } from './format_error';
import { DW_FORM, DwarfCursor, readForm, type FormContext } from './dwarf_reader';

export interface LineRow {
  /** First address of the range. */
  addr: number;
  /** One past the last address. */
  end: number;
  file: string;
  line: number;
}

const DW_LNS = {
  copy: 1,
  advancePc: 2,
  advanceLine: 3,
  setFile: 4,
  setColumn: 5,
  negateStmt: 6,
  setBasicBlock: 7,
  constAddPc: 8,
  fixedAdvancePc: 9,
  setPrologueEnd: 10,
  setEpilogueBegin: 11,
  setIsa: 12,
};
const DW_LNE = { endSequence: 1, setAddress: 2, defineFile: 3, setDiscriminator: 4 };
const DW_LNCT = { path: 1, directoryIndex: 2 };
const DW_TAG_compile_unit = 0x11;
const DW_TAG_partial_unit = 0x3c;
const DW_TAG_skeleton_unit = 0x4a;
const DW_AT_stmt_list = 0x10;
const DW_AT_comp_dir = 0x1b;

export interface DwarfSections {
  debugLine?: Uint8Array;
  debugInfo?: Uint8Array;
  debugAbbrev?: Uint8Array;
  debugStr?: Uint8Array;
  debugLineStr?: Uint8Array;
}

function joinPath(dir: string | undefined, name: string): string {
  if (!dir || name.startsWith('/') || /^[A-Za-z]:[\\/]/.test(name)) return name;
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

/** Compilation directory of each line program, keyed by its .debug_line offset. */
export function compDirs(s: DwarfSections): Map<number, string> {
  const out = new Map<number, string>();
  const info = s.debugInfo;
  const abbrev = s.debugAbbrev;
  if (!info || !abbrev) return out;
  const c = new DwarfCursor(info, 0, '.debug_info');
  while (c.at + 11 <= info.length) {
    const unitStart = c.at;
    let unitLength = c.u32();
    let offsetSize: 4 | 8 = 4;
    if (unitLength === 0xffffffff) {
      unitLength = c.u64();
      offsetSize = 8;
    }
    const next = c.at + unitLength;
    if (unitLength === 0 || next > info.length) break;
    const version = c.u16();
    let addressSize: number;
    let abbrevOffset: number;
    if (version >= 5) {
      const unitType = c.u8();
      addressSize = c.u8();
      abbrevOffset = c.sized(offsetSize);
      if (unitType === 4 || unitType === 5)
        c.skip(8); // skeleton/split: dwo id
      else if (unitType === 2 || unitType === 6) c.skip(8 + offsetSize); // type units
    } else {
      abbrevOffset = c.sized(offsetSize);
      addressSize = c.u8();
    }
    try {
      const code = c.uleb();
      const decl = findAbbrev(abbrev, abbrevOffset, code);
      if (decl && (decl.tag === DW_TAG_compile_unit || decl.tag === DW_TAG_partial_unit || decl.tag === DW_TAG_skeleton_unit)) {
        const ctx: FormContext = { offsetSize, addressSize, version, debugStr: s.debugStr, debugLineStr: s.debugLineStr };
        let stmt: number | undefined;
        let dir: string | undefined;
        for (const a of decl.attrs) {
          const v = readForm(c, a.form, ctx, a.implicitConst);
          if (a.name === DW_AT_stmt_list && typeof v === 'number') stmt = v;
          if (a.name === DW_AT_comp_dir && typeof v === 'string') dir = v;
        }
        if (stmt !== undefined && dir !== undefined) out.set(stmt, dir);
      }
    } catch {
      // A unit this reader cannot parse only loses its compilation directory.
    }
    c.at = next;
    if (c.at <= unitStart) break;
  }
  return out;
}

interface AbbrevDecl {
  tag: number;
  attrs: { name: number; form: number; implicitConst?: number }[];
}

function findAbbrev(abbrev: Uint8Array, offset: number, code: number): AbbrevDecl | undefined {
  const c = new DwarfCursor(abbrev, offset, '.debug_abbrev');
  for (;;) {
    const thisCode = c.uleb();
    if (thisCode === 0) return undefined;
    const tag = c.uleb();
    c.u8(); // has children
    const attrs: AbbrevDecl['attrs'] = [];
    for (;;) {
      const name = c.uleb();
      const form = c.uleb();
      if (name === 0 && form === 0) break;
      attrs.push(form === DW_FORM.implicit_const ? { name, form, implicitConst: c.sleb() } : { name, form });
    }
    if (thisCode === code) return { tag, attrs };
  }
}

/** Every line program in .debug_line as address ranges, sorted by address. */
export function readLineTable(s: DwarfSections): LineRow[] {
  const data = s.debugLine;
  if (!data) return [];
  const dirs = compDirs(s);
  const rows: LineRow[] = [];
  let at = 0;
  while (at + 4 <= data.length) {
    const next = readProgram(data, at, dirs.get(at), s, rows);
    if (next <= at) break;
    at = next;
  }
  rows.sort((a, b) => a.addr - b.addr || a.end - b.end);
  return rows;
}

function readProgram(data: Uint8Array, start: number, compDir: string | undefined, s: DwarfSections, rows: LineRow[]): number {
  const c = new DwarfCursor(data, start, '.debug_line');
  let unitLength = c.u32();
  let offsetSize: 4 | 8 = 4;
  if (unitLength === 0xffffffff) {
    unitLength = c.u64();
    offsetSize = 8;
  }
  const end = c.at + unitLength;
  if (end > data.length)
    throw new FormatError(`.debug_line: the line program at offset ${start} claims ${unitLength} bytes, past the end of the section; the ELF is truncated.`, '.debug_line');
  const version = c.u16();
  if (version < 2 || version > 5)
    throw new FormatError(`.debug_line: line program at offset ${start} has DWARF version ${version}; versions 2 to 5 are understood.`, '.debug_line');
  let addressSize = 4;
  if (version >= 5) {
    addressSize = c.u8();
    c.u8(); // segment selector size
  }
  const headerLength = c.sized(offsetSize);
  const programStart = c.at + headerLength;
  const minInst = c.u8();
  if (version >= 4) c.u8(); // maximum operations per instruction (VLIW only)
  const defaultIsStmt = c.u8() !== 0;
  const lineBase = (c.u8() << 24) >> 24;
  const lineRange = c.u8();
  const opcodeBase = c.u8();
  const stdLengths: number[] = [0];
  for (let i = 1; i < opcodeBase; i++) stdLengths.push(c.u8());
  if (lineRange === 0) throw new FormatError(`.debug_line: line program at offset ${start} has line_range 0; the DWARF data is corrupt.`, '.debug_line');

  const ctx: FormContext = { offsetSize, addressSize, version, debugStr: s.debugStr, debugLineStr: s.debugLineStr };
  const directories: string[] = [];
  const files: string[] = [];
  if (version >= 5) {
    const readEntries = (): { path?: string; dir?: number }[] => {
      const formatCount = c.u8();
      const format: [number, number][] = [];
      for (let i = 0; i < formatCount; i++) format.push([c.uleb(), c.uleb()]);
      const count = c.uleb();
      const out: { path?: string; dir?: number }[] = [];
      for (let i = 0; i < count; i++) {
        const e: { path?: string; dir?: number } = {};
        for (const [type, form] of format) {
          const v = readForm(c, form, ctx);
          if (type === DW_LNCT.path && typeof v === 'string') e.path = v;
          if (type === DW_LNCT.directoryIndex && typeof v === 'number') e.dir = v;
        }
        out.push(e);
      }
      return out;
    };
    for (const d of readEntries()) directories.push(d.path ?? '');
    if (directories.length && compDir && !directories[0].startsWith('/')) directories[0] = joinPath(compDir, directories[0]);
    for (let i = 1; i < directories.length; i++) directories[i] = joinPath(directories[0], directories[i]);
    for (const f of readEntries()) files.push(joinPath(directories[f.dir ?? 0], f.path ?? '?'));
  } else {
    directories.push(compDir ?? '');
    for (;;) {
      const d = c.cstr();
      if (!d) break;
      directories.push(joinPath(compDir, d));
    }
    files.push('?'); // file numbers start at 1
    for (;;) {
      const name = c.cstr();
      if (!name) break;
      const dirIndex = c.uleb();
      c.uleb(); // mtime
      c.uleb(); // length
      files.push(joinPath(directories[dirIndex], name));
    }
  }

  c.at = programStart;
  let addr = 0;
  let file = 1;
  let line = 1;
  let isStmt = defaultIsStmt;
  let seq: { addr: number; file: number; line: number }[] = [];
  const flushSequence = (endAddr: number): void => {
    for (let i = 0; i < seq.length; i++) {
      const r = seq[i];
      const rEnd = i + 1 < seq.length ? seq[i + 1].addr : endAddr;
      if (rEnd > r.addr) rows.push({ addr: r.addr, end: rEnd, file: files[r.file] ?? `<file ${r.file}>`, line: r.line });
    }
    seq = [];
  };
  const emit = (): void => {
    seq.push({ addr, file, line });
  };
  void isStmt;
  while (c.at < end) {
    const op = c.u8();
    if (op >= opcodeBase) {
      const adj = op - opcodeBase;
      addr += Math.floor(adj / lineRange) * minInst;
      line += lineBase + (adj % lineRange);
      emit();
      continue;
    }
    switch (op) {
      case 0: {
        const len = c.uleb();
        const subStart = c.at;
        const sub = len > 0 ? c.u8() : 0;
        if (sub === DW_LNE.endSequence) {
          emit();
          flushSequence(addr);
          addr = 0;
          file = 1;
          line = 1;
          isStmt = defaultIsStmt;
        } else if (sub === DW_LNE.setAddress) {
          addr = c.sized(len - 1);
        } else if (sub === DW_LNE.defineFile) {
          const name = c.cstr();
          const dirIndex = c.uleb();
          files.push(joinPath(directories[dirIndex], name));
        }
        c.at = subStart + len;
        break;
      }
      case DW_LNS.copy:
        emit();
        break;
      case DW_LNS.advancePc:
        addr += c.uleb() * minInst;
        break;
      case DW_LNS.advanceLine:
        line += c.sleb();
        break;
      case DW_LNS.setFile:
        file = c.uleb();
        break;
      case DW_LNS.setColumn:
        c.uleb();
        break;
      case DW_LNS.negateStmt:
        isStmt = !isStmt;
        break;
      case DW_LNS.setBasicBlock:
      case DW_LNS.setPrologueEnd:
      case DW_LNS.setEpilogueBegin:
        break;
      case DW_LNS.constAddPc:
        addr += Math.floor((255 - opcodeBase) / lineRange) * minInst;
        break;
      case DW_LNS.fixedAdvancePc:
        addr += c.u16();
        break;
      default:
        for (let i = 0; i < (stdLengths[op] ?? 0); i++) c.uleb();
    }
  }
  return end;
}

/** The row whose range holds `addr` (binary search over sorted rows). */
export function lineAt(rows: LineRow[], addr: number): LineRow | undefined {
  let lo = 0;
  let hi = rows.length - 1;
  let best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (rows[mid].addr <= addr) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  for (let i = best; i >= 0 && i > best - 4; i--) if (addr >= rows[i].addr && addr < rows[i].end) return rows[i];
  return undefined;
}
