/**
 * What the virtual chip prints after a reset into its flash (like a real ESP-IDF chip: ROM
 * lines, 2nd-stage bootloader lines, app lines) for the image its flash holds, and the little
 * app it then "runs": numbered ticks, a console that panics on request with a backtrace made of
 * real code addresses of the flashed app image (so they decode against the ELF it was built
 * from), and a flood mode for the monitor benchmark.
 *
 * Formats from the spec (esp-serial-protocol.md §6 image header and segments, §6.4 app
 * descriptor, partition table entries of 32 bytes with magic 0x50AA at 0x8000).
 */
import type { ChipFacts } from '../core/chips';

export interface FlashView {
  /** Bytes as the chip's flash cache sees them (decrypted when encryption is on). */
  read(offset: number, length: number): Uint8Array;
}

export interface AppSpec {
  offset: number;
  /** A segment header was out of range (erased or corrupt flash after the image header). */
  broken?: boolean;
  entry: number;
  segments: { addr: number; length: number }[];
  projectName?: string;
  version?: string;
  idfVersion?: string;
  elfSha256?: string;
}

const u16 = (b: Uint8Array, at: number): number => b[at] | (b[at + 1] << 8);
const u32 = (b: Uint8Array, at: number): number => (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
const str = (b: Uint8Array, at: number, n: number): string => {
  let e = at;
  while (e < at + n && b[e] !== 0) e++;
  return Buffer.from(b.subarray(at, e)).toString('utf8');
};
const hex8 = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/** Image header and segment list at `offset`; undefined when no valid header is there. */
export function readImage(flash: FlashView, offset: number): AppSpec | undefined {
  const h = flash.read(offset, 24);
  if (h[0] !== 0xe9 || h[1] === 0 || h[1] > 16) return undefined;
  const spec: AppSpec = { offset, entry: u32(h, 4), segments: [] };
  let at = offset + 24;
  for (let i = 0; i < h[1]; i++) {
    const sh = flash.read(at, 8);
    const addr = u32(sh, 0);
    const length = u32(sh, 4);
    if (length > 16 * 1024 * 1024) {
      spec.broken = true;
      break;
    }
    if (i === 0) {
      const d = flash.read(at + 8, 256);
      if (u32(d, 0) === 0xabcd5432) {
        spec.version = str(d, 16, 32);
        spec.projectName = str(d, 48, 32);
        spec.idfVersion = str(d, 112, 32);
        spec.elfSha256 = Buffer.from(d.subarray(144, 176)).toString('hex');
      }
    }
    spec.segments.push({ addr, length });
    at += 8 + length;
  }
  return spec;
}

/** Offset of the app the bootloader would start: ota_0 / factory / first app in the partition table. */
export function findAppOffset(flash: FlashView): number | undefined {
  const table = flash.read(0x8000, 0xc00);
  const apps: { subtype: number; offset: number }[] = [];
  for (let at = 0; at + 32 <= table.length; at += 32) {
    if (u16(table, at) !== 0x50aa) break;
    if (table[at + 2] === 0) apps.push({ subtype: table[at + 3], offset: u32(table, at + 4) });
  }
  const pick = apps.find((a) => a.subtype === 0x10) ?? apps.find((a) => a.subtype === 0x00) ?? apps[0];
  return pick?.offset;
}

export interface BootText {
  text: string;
  app?: AppSpec;
}

/** The lines of a normal (SPI flash) boot, up to app_main. */
export function bootText(chip: ChipFacts, flash: FlashView, resetLine: string): BootText {
  const lines: string[] = [`ESP-ROM:${chip.name} (virtual chip)`, resetLine];
  const boot = readImage(flash, chip.bootloaderOffset);
  if (!boot) {
    const w = u32(flash.read(chip.bootloaderOffset, 4), 0);
    lines.push(`invalid header: ${hex8(w)}`);
    return { text: lines.join('\r\n') + '\r\n' };
  }
  lines.push(`load: image at 0x${chip.bootloaderOffset.toString(16)}, entry ${hex8(boot.entry)}`);
  for (const s of boot.segments) lines.push(`load:${hex8(s.addr)},len:0x${s.length.toString(16)}`);
  lines.push(`entry ${hex8(boot.entry)}`);
  lines.push('I (0) virtual-chip: firmware running');
  lines.push(`I (27) boot: ESP-IDF 2nd stage bootloader (virtual ${chip.displayName})`);
  const appOffset = findAppOffset(flash);
  const found = appOffset === undefined ? undefined : readImage(flash, appOffset);
  const app = found && !found.broken ? found : undefined;
  if (appOffset === undefined) {
    lines.push('E (45) boot: No bootable app partitions in the partition table');
    return { text: lines.join('\r\n') + '\r\n' };
  }
  if (!app) {
    lines.push(`E (45) esp_image: image at 0x${appOffset.toString(16)} has invalid magic byte`);
    lines.push('E (47) boot: Factory app partition is not bootable');
    return { text: lines.join('\r\n') + '\r\n' };
  }
  lines.push(`I (52) boot: Loaded app from partition at offset 0x${appOffset.toString(16)}`);
  for (const s of app.segments) lines.push(`I (60) esp_image: segment: paddr=${hex8(0)} vaddr=${hex8(s.addr)} size=0x${s.length.toString(16)} (${s.length})`);
  lines.push('I (90) cpu_start: Pro cpu start user code');
  lines.push('I (95) app_init: Application information:');
  if (app.projectName !== undefined) lines.push(`I (98) app_init: Project name:     ${app.projectName}`);
  if (app.version !== undefined) lines.push(`I (101) app_init: App version:      ${app.version}`);
  if (app.elfSha256) lines.push(`I (104) app_init: ELF file SHA256:  ${app.elfSha256.slice(0, 16)}...`);
  if (app.idfVersion !== undefined) lines.push(`I (107) app_init: ESP-IDF:          ${app.idfVersion}`);
  lines.push('I (120) main_task: Calling app_main()');
  return { text: lines.join('\r\n') + '\r\n', app };
}

/** Code addresses of the image to build a backtrace from (segments in the chip's code windows). */
export function codeAddresses(chip: ChipFacts, app: AppSpec, count: number): number[] {
  const code = app.segments.filter((s) => s.length >= 64 && ((s.addr >= chip.irom[0] && s.addr < chip.irom[1]) || (s.addr >= 0x40000000 && s.addr < 0x50000000)));
  const out: number[] = [];
  if (app.entry) out.push(app.entry);
  for (let i = 0; out.length < count && code.length; i++) {
    const s = code[i % code.length];
    const step = Math.floor(s.length / (count + 1));
    out.push((s.addr + step * (Math.floor(i / code.length) + 1)) & ~3);
  }
  return out.slice(0, count);
}

/** ESP-IDF panic output for `kind` with real code addresses of the app. */
export function panicText(chip: ChipFacts, app: AppSpec | undefined, kind: 'panic' | 'abort'): string {
  const addrs = app ? codeAddresses(chip, app, 5) : [0x40000400, 0x40000404];
  const sp = 0x3ffb5f00;
  const lines: string[] = [];
  if (kind === 'abort') lines.push(`abort() was called at PC ${hex8(addrs[1] ?? addrs[0])} on core 0`);
  else lines.push("Guru Meditation Error: Core  0 panic'ed (LoadProhibited). Exception was unhandled.");
  lines.push('');
  if (chip.arch === 'xtensa') {
    lines.push(`Core  0 register dump:`);
    lines.push(`PC      : ${hex8(addrs[0])}  PS      : 0x00060730  A0      : 0x800d2c4e  A1      : ${hex8(sp)}`);
    lines.push('');
    lines.push(`Backtrace: ${addrs.map((a, i) => `${hex8(a)}:${hex8(sp + 0x20 * i)}`).join(' ')}`);
  } else {
    lines.push(`Core  0 register dump:`);
    lines.push(`MEPC    : ${hex8(addrs[0])}  RA      : ${hex8(addrs[1] ?? 0)}  SP      : ${hex8(sp)}  GP      : 0x3fc8e000`);
    lines.push(`MSTATUS : 0x00001881  MTVEC   : 0x40380001  MCAUSE  : 0x00000005  MTVAL   : 0x00000000`);
    lines.push('');
    lines.push('Stack memory:');
    const words = [0x3fc90000, ...addrs.slice(2), 0x00000000, 0xa5a5a5a5];
    for (let i = 0; i < words.length; i += 4)
      lines.push(
        `${(sp + i * 4).toString(16)}: ${words
          .slice(i, i + 4)
          .map(hex8)
          .join(' ')}`,
      );
  }
  lines.push('');
  if (app?.elfSha256) lines.push(`ELF file SHA256: ${app.elfSha256.slice(0, 16)}`);
  lines.push('');
  lines.push('Rebooting...');
  return lines.join('\r\n') + '\r\n';
}
