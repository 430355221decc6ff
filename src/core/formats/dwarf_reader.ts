/** Byte cursor for DWARF sections: LEB128, fixed-size little-endian values, C strings. */
import { FormatError } from './format_error';

export class DwarfCursor {
  constructor(
    readonly b: Uint8Array,
    public at: number,
    readonly what: string,
  ) {}

  private need(n: number): void {
    if (this.at + n > this.b.length)
      throw new FormatError(`${this.what}: ran past the end of the section at offset ${this.at}; the DWARF data is truncated or corrupt.`, this.what);
  }
  u8(): number {
    this.need(1);
    return this.b[this.at++];
  }
  u16(): number {
    this.need(2);
    const v = this.b[this.at] | (this.b[this.at + 1] << 8);
    this.at += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const b = this.b;
    const v = (b[this.at] | (b[this.at + 1] << 8) | (b[this.at + 2] << 16) | (b[this.at + 3] << 24)) >>> 0;
    this.at += 4;
    return v;
  }
  /** 64-bit value as a number (exact below 2^53; enough for 32-bit targets). */
  u64(): number {
    const lo = this.u32();
    const hi = this.u32();
    return hi * 0x100000000 + lo;
  }
  sized(n: number): number {
    if (n === 1) return this.u8();
    if (n === 2) return this.u16();
    if (n === 4) return this.u32();
    if (n === 8) return this.u64();
    throw new FormatError(`${this.what}: unsupported value size ${n} at offset ${this.at}.`, this.what);
  }
  uleb(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      const byte = this.u8();
      result += (byte & 0x7f) * mul;
      mul *= 128;
      if ((byte & 0x80) === 0) return result;
    }
  }
  sleb(): number {
    let result = 0;
    let mul = 1;
    let byte: number;
    do {
      byte = this.u8();
      result += (byte & 0x7f) * mul;
      mul *= 128;
    } while (byte & 0x80);
    if (byte & 0x40) result -= mul;
    return result;
  }
  cstr(): string {
    let end = this.at;
    while (end < this.b.length && this.b[end] !== 0) end++;
    if (end >= this.b.length) this.need(end - this.at + 1);
    const s = Buffer.from(this.b.subarray(this.at, end)).toString('utf8');
    this.at = end + 1;
    return s;
  }
  skip(n: number): void {
    this.need(n);
    this.at += n;
  }
}

/** A C string at `offset` in a string section (.debug_str, .debug_line_str). */
export function stringAt(section: Uint8Array | undefined, offset: number, what: string): string {
  if (!section || offset >= section.length) throw new FormatError(`${what}: string offset ${offset} lies outside its string section.`, what);
  let end = offset;
  while (end < section.length && section[end] !== 0) end++;
  return Buffer.from(section.subarray(offset, end)).toString('utf8');
}

export const DW_FORM = {
  addr: 0x01,
  block2: 0x03,
  block4: 0x04,
  data2: 0x05,
  data4: 0x06,
  data8: 0x07,
  string: 0x08,
  block: 0x09,
  block1: 0x0a,
  data1: 0x0b,
  flag: 0x0c,
  sdata: 0x0d,
  strp: 0x0e,
  udata: 0x0f,
  ref_addr: 0x10,
  ref1: 0x11,
  ref2: 0x12,
  ref4: 0x13,
  ref8: 0x14,
  ref_udata: 0x15,
  indirect: 0x16,
  sec_offset: 0x17,
  exprloc: 0x18,
  flag_present: 0x19,
  strx: 0x1a,
  addrx: 0x1b,
  ref_sup4: 0x1c,
  strp_sup: 0x1d,
  data16: 0x1e,
  line_strp: 0x1f,
  ref_sig8: 0x20,
  implicit_const: 0x21,
  loclistx: 0x22,
  rnglistx: 0x23,
  ref_sup8: 0x24,
  strx1: 0x25,
  strx2: 0x26,
  strx3: 0x27,
  strx4: 0x28,
  addrx1: 0x29,
  addrx2: 0x2a,
  addrx3: 0x2b,
  addrx4: 0x2c,
} as const;

export interface FormContext {
  offsetSize: 4 | 8;
  addressSize: number;
  version: number;
  debugStr?: Uint8Array;
  debugLineStr?: Uint8Array;
}

export type FormValue = number | string | undefined;

/**
 * Read one attribute value of `form`: numbers for constants/offsets/addresses, strings for the
 * string forms that can be resolved without .debug_str_offsets, undefined for blocks and the
 * index forms (skipped).
 */
export function readForm(c: DwarfCursor, form: number, ctx: FormContext, implicitConst?: number): FormValue {
  const F = DW_FORM;
  switch (form) {
    case F.addr:
      return c.sized(ctx.addressSize);
    case F.data1:
    case F.ref1:
    case F.flag:
    case F.strx1:
    case F.addrx1:
      return c.u8();
    case F.data2:
    case F.ref2:
    case F.strx2:
    case F.addrx2:
      return c.u16();
    case F.strx3:
    case F.addrx3:
      c.skip(3);
      return undefined;
    case F.data4:
    case F.ref4:
    case F.ref_sup4:
    case F.strx4:
    case F.addrx4:
      return c.u32();
    case F.data8:
    case F.ref8:
    case F.ref_sig8:
    case F.ref_sup8:
      return c.u64();
    case F.data16:
      c.skip(16);
      return undefined;
    case F.string:
      return c.cstr();
    case F.block:
    case F.exprloc:
      c.skip(c.uleb());
      return undefined;
    case F.block1:
      c.skip(c.u8());
      return undefined;
    case F.block2:
      c.skip(c.u16());
      return undefined;
    case F.block4:
      c.skip(c.u32());
      return undefined;
    case F.sdata:
      return c.sleb();
    case F.udata:
    case F.ref_udata:
    case F.strx:
    case F.addrx:
    case F.loclistx:
    case F.rnglistx:
      return c.uleb();
    case F.strp:
      return stringAt(ctx.debugStr, c.sized(ctx.offsetSize), '.debug_str');
    case F.line_strp:
      return stringAt(ctx.debugLineStr, c.sized(ctx.offsetSize), '.debug_line_str');
    case F.strp_sup:
      c.sized(ctx.offsetSize);
      return undefined;
    case F.ref_addr:
      return c.sized(ctx.version <= 2 ? ctx.addressSize : ctx.offsetSize);
    case F.sec_offset:
      return c.sized(ctx.offsetSize);
    case F.flag_present:
      return 1;
    case F.implicit_const:
      return implicitConst;
    case F.indirect:
      return readForm(c, c.uleb(), ctx);
    default:
      throw new FormatError(`DWARF form 0x${form.toString(16)} at offset ${c.at} is not known; the debug information uses a newer DWARF than this reader understands.`, c.what);
  }
}
