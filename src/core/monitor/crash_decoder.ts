/**
 * Recognises ESP-IDF panic output line by line — Guru Meditation, abort(), assert, the Xtensa
 * `Backtrace: PC:SP …` line, register dumps (PC, MEPC, RA) and RISC-V "Stack memory" — and
 * returns the lines to print after each: every code address as `--- 0xADDR: function at
 * file:line`, "in ROM", or what is missing. The monitor and `esp-flasher decode` share it, so
 * both print the same thing.
 */
import { ElfDecoder, type DecodedFrame } from './elf_decoder';

export const DECODE_PREFIX = '--- ';

export function formatFrame(f: DecodedFrame, role?: string): string {
  const a = `0x${f.addr.toString(16).padStart(8, '0')}`;
  const head = `${DECODE_PREFIX}${role ? `${role} ` : ''}${a}: `;
  if (f.where === 'rom') return `${head}in ROM`;
  if (f.where === 'unknown') return `${head}not code of this ELF (data, a corrupted frame, or another build)`;
  const fn = f.func ?? '??';
  if (f.file && f.line) return `${head}${fn} at ${f.file}:${f.line}`;
  return `${head}${fn} (no line information)`;
}

const HEX = /0x([0-9a-fA-F]{8})\b/g;
const SHA_LINE = /ELF file SHA256:\s*([0-9a-fA-F]{8,64})/;

export interface CrashDecoderOptions {
  /** Decode every code address on every line (`esp-flasher decode`), not only inside a panic. */
  everyLine?: boolean;
  /** Why there is no decoder (the ELF could not be found or read). */
  noElfReason?: string;
}

/**
 * The ELF against the app image that will run: ESP-IDF puts the ELF's SHA-256 into the image's
 * esp_app_desc. Returns the warning to show when they differ (undefined when they match or the
 * image carries no SHA-256).
 */
export function imageMismatchNote(elf: ElfDecoder, imageElfSha256: string | undefined, image = 'the app image'): string | undefined {
  if (!imageElfSha256 || /^0*$/.test(imageElfSha256)) return undefined;
  if (elf.matches(imageElfSha256)) return undefined;
  return `${DECODE_PREFIX}Warning: ${image} was built from an ELF with SHA-256 ${imageElfSha256.slice(0, 16)}…, but ${elf.file} has ${elf.sha256.slice(0, 16)}…: it is another build, so decoded addresses may be wrong. Rebuild, or decode with the ELF of the flashed build.`;
}

export class CrashDecoder {
  private inPanic = false;
  private inStack = false;
  private noteShown = false;
  private printedSha?: string;
  private mismatchShown = false;

  constructor(
    readonly elf: ElfDecoder | undefined,
    private readonly opts: CrashDecoderOptions = {},
  ) {}

  /** The SHA-256 prefix the app printed (boot log or panic), if seen. */
  get appSha(): string | undefined {
    return this.printedSha;
  }

  /** One line of chip output (no line ending); returns the lines to print after it. */
  line(text: string): string[] {
    const out: string[] = [];
    const sha = SHA_LINE.exec(text);
    if (sha) {
      this.printedSha = sha[1].toLowerCase();
      if (this.elf && this.elf.matches(this.printedSha) === false && !this.mismatchShown) {
        this.mismatchShown = true;
        out.push(
          `${DECODE_PREFIX}Warning: the running app's ELF SHA-256 starts ${this.printedSha}, but ${this.elf.file} has ${this.elf.sha256.slice(0, 16)}…: it is another build, so decoded addresses may be wrong. Rebuild and flash, or decode with the ELF of the running build.`,
        );
      }
      return out;
    }
    if (
      /Guru Meditation Error|^abort\(\) was called|assert failed:|assertion ".*" failed|Unhandled debug exception|Debug exception reason|panic'ed|\*\*\*ERROR\*\*\* A stack overflow/.test(
        text,
      )
    ) {
      this.inPanic = true;
      this.inStack = false;
      this.noteShown = false;
    }
    if (/^Rebooting\.\.\.|^ESP-ROM:|^ets [A-Z][a-z]{2} /.test(text)) {
      this.inPanic = false;
      this.inStack = false;
      return out;
    }
    if (/^Stack memory:/.test(text)) {
      this.inStack = this.inPanic || !!this.opts.everyLine;
      return out;
    }
    const active = this.inPanic || this.opts.everyLine;
    if (!active) return out;

    const addrs: { addr: number; role?: string }[] = [];
    const abort = /abort\(\) was called at PC 0x([0-9a-fA-F]{8})/.exec(text);
    if (abort) addrs.push({ addr: parseInt(abort[1], 16) });
    else if (/^Backtrace:/.test(text)) {
      for (const m of text.matchAll(/0x([0-9a-fA-F]{8}):0x[0-9a-fA-F]{8}/g)) addrs.push({ addr: parseInt(m[1], 16) });
    } else if (this.inStack && /^[0-9a-fA-F]{8}:\s/.test(text)) {
      for (const m of text.slice(9).matchAll(HEX)) {
        const a = parseInt(m[1], 16);
        if (this.elf?.isCode(a)) addrs.push({ addr: a, role: '(stack)' });
      }
    } else if (/^\s*(PC|MEPC|RA|EPC1|EPC2|EPC3|EPC4)\s*:\s*0x/.test(text)) {
      for (const m of text.matchAll(/\b(PC|MEPC|RA|EPC[1-4])\s*:\s*0x([0-9a-fA-F]{8})/g)) {
        const a = parseInt(m[2], 16);
        if (a !== 0) addrs.push({ addr: a, role: m[1] });
      }
    } else if (this.opts.everyLine) {
      for (const m of text.matchAll(HEX)) {
        const a = parseInt(m[1], 16);
        if (!this.elf || this.elf.isCode(a) || this.elf.isRom(a)) addrs.push({ addr: a });
      }
    }
    if (!addrs.length) return out;
    if (!this.elf) {
      if (!this.noteShown) out.push(`${DECODE_PREFIX}Crash addresses not decoded: ${this.opts.noElfReason ?? 'no ELF file given'}.`);
      this.noteShown = true;
      return out;
    }
    if (this.elf.missing.length && !this.noteShown) out.push(`${DECODE_PREFIX}Decoding is partial: ${this.elf.file} has ${this.elf.missing.join('; ')}.`);
    this.noteShown = true;
    for (const a of addrs) out.push(formatFrame(this.elf.decode(a.addr), a.role));
    return out;
  }
}
