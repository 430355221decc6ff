/**
 * The monitor on the command line, shared by `esp-flasher monitor` and `flash --monitor`:
 * options, keys (Ctrl-] quits, Ctrl-T then R/P/H resets, pauses, lists the keys), the ELF for
 * crash decoding (given, or found beside the build's app image), and running until quit.
 */
import type { ChipName } from '../core/chips';
import { CrashDecoder, imageMismatchNote } from '../core/monitor/crash_decoder';
import { ElfDecoder } from '../core/monitor/elf_decoder';
import { appImageElfSha, findAppElf } from '../core/monitor/find_elf';
import { SerialMonitor, type MonitorOptions } from '../core/monitor/monitor';
import type { FlashPlan } from '../core/plan/flash_plan';
import { Options, UsageError, type OptionSpec } from './args';
import type { CliContext, OutFn } from './cli_context';

export const MONITOR_KEYS = [
  'Keys inside the monitor:',
  '  Ctrl-]          quit',
  '  Ctrl-T R        reset the chip into its app',
  '  Ctrl-T P        pause/resume the output (lines are kept)',
  '  Ctrl-T H        list these keys',
  '  anything else   is sent to the chip (Enter sends a newline)',
];

/** Options of the monitor itself (`flash --monitor` takes them too). */
export const MONITOR_OPTIONS: OptionSpec[] = [
  { name: 'elf', kind: 'value', valueName: 'FILE', help: "App ELF for decoding crash backtraces (default: beside the build's app image)" },
  { name: 'no-reset', kind: 'flag', help: 'Do not reset the chip into its app when the monitor opens' },
  { name: 'raw', kind: 'flag', help: 'Show bytes as they come: no line splitting, colours, filter or decoding' },
  { name: 'timestamps', kind: 'flag', help: 'Start each line with the time its first byte arrived' },
  { name: 'log', kind: 'value', valueName: 'FILE', help: 'Append the output (without colours) to FILE' },
  { name: 'filter', kind: 'value', valueName: 'SPEC', help: 'Show only these ESP-IDF log tags/levels, e.g. "wifi:W *:I" (levels N E W I D V)' },
  { name: 'no-color', kind: 'flag', help: 'Do not colour ESP-IDF log levels' },
  { name: 'monitor-baud', kind: 'value', valueName: 'BAUD', help: 'Console baud rate of the app (default 115200)' },
  { name: 'duration', kind: 'value', valueName: 'SECONDS', help: 'Stop SECONDS after the monitor opened (scripts, CI logs)' },
];

export interface MonitorRun {
  monitor: SerialMonitor;
  /** Resolves when the user quit (key, Ctrl-C, --duration) and the port is released. */
  finished: Promise<void>;
}

/**
 * Decoder for the monitor: --elf, else the plan's app ELF; a note says what is missing, and a
 * warning when the ELF is not the one the plan's app image was built from (its esp_app_desc).
 */
export function decoderFor(o: Options, plan: FlashPlan | undefined, chip: ChipName | undefined, note: OutFn): CrashDecoder {
  const given = o.string('elf');
  const checked = (elf: ElfDecoder): CrashDecoder => {
    const image = plan && appImageElfSha(plan);
    const warning = image && imageMismatchNote(elf, image.sha256, image.image);
    if (warning) note(warning);
    return new CrashDecoder(elf);
  };
  if (given) return checked(ElfDecoder.load(given, chip ?? plan?.chip));
  if (plan) {
    const found = findAppElf(plan);
    if ('file' in found) {
      note(`--- Crash addresses are decoded with ${found.file}.`);
      return checked(ElfDecoder.load(found.file, chip ?? plan.chip));
    }
    const reason = `${found.reason}; pass --elf FILE`;
    note(`--- Crash addresses will not be decoded: ${reason}.`);
    return new CrashDecoder(undefined, { noElfReason: reason });
  }
  return new CrashDecoder(undefined, { noElfReason: 'no ELF file given (pass --elf FILE)' });
}

export function monitorBaud(o: Options): number {
  const b = o.number('monitor-baud') ?? 115200;
  if (b < 300 || b > 12_000_000) throw new UsageError(`--monitor-baud: ${b} is outside 300…12000000.`, o.command);
  return b;
}

/** Open the monitor and wire keys, Ctrl-C and --duration; `reset` false leaves the chip alone. */
export async function startMonitor(o: Options, port: string, out: OutFn, ctx: CliContext, decoder: CrashDecoder, opts: Partial<MonitorOptions> = {}): Promise<MonitorRun> {
  const write = ctx.rawWrite ?? ((t: string) => out(t.replace(/\n$/, '')));
  const monitor = await SerialMonitor.open({
    port,
    baud: monitorBaud(o),
    reset: !o.has('no-reset'),
    raw: o.has('raw'),
    timestamps: o.has('timestamps'),
    colors: ctx.tty && !o.has('no-color'),
    filter: o.string('filter'),
    logFile: o.string('log'),
    decoder,
    write,
    ...opts,
  });
  if (ctx.tty) for (const l of MONITOR_KEYS) write(`--- ${l}\n`);
  const d = o.string('duration');
  const duration = d === undefined ? undefined : Number(d);
  if (duration !== undefined && !(duration > 0)) throw new UsageError(`--duration: "${d}" is not a number of seconds (e.g. 10 or 2.5).`, o.command);
  const finished = new Promise<void>((resolve) => {
    let done = false;
    const stop = (why?: string): void => {
      if (done) return;
      done = true;
      if (why) write(`--- ${why}\n`);
      clearTimeout(timer);
      ctx.signal?.removeEventListener('abort', onAbort);
      detachKeys();
      void monitor.close().then(resolve, resolve);
    };
    const onAbort = (): void => stop('Monitor stopped (Ctrl-C).');
    ctx.signal?.addEventListener('abort', onAbort);
    const timer = duration !== undefined ? setTimeout(() => stop(`Monitor stopped after ${duration} s (--duration).`), duration * 1000) : undefined;
    const detachKeys = ctx.tty ? attachKeys(monitor, () => stop('Monitor stopped (Ctrl-]).'), write) : () => undefined;
    void monitor.done.then(() => stop());
  });
  return { monitor, finished };
}

/** Raw keyboard on a terminal: Ctrl-] quits, Ctrl-T + letter is a command, the rest goes to the chip. */
function attachKeys(m: SerialMonitor, quit: () => void, write: (t: string) => void): () => void {
  const stdin = process.stdin;
  if (!stdin.isTTY) return () => undefined;
  stdin.setRawMode(true);
  stdin.resume();
  let menu = false;
  const onData = (d: Buffer): void => {
    for (const byte of d) {
      if (menu) {
        menu = false;
        const k = String.fromCharCode(byte | 0x60); // Ctrl-R and r alike
        if (k === 'r') void m.resetIntoApp();
        else if (k === 'p') m.toggleDisplayPause();
        else if (k === 'h') for (const l of MONITOR_KEYS) write(`--- ${l}\n`);
        else write(`--- Ctrl-T ${String.fromCharCode(byte)}: not a command (Ctrl-T H lists them).\n`);
        continue;
      }
      if (byte === 0x1d) return quit();
      if (byte === 0x14) {
        menu = true;
        continue;
      }
      void m.send(Uint8Array.of(byte === 0x0d ? 0x0a : byte)).catch(() => undefined);
    }
  };
  stdin.on('data', onData);
  return () => {
    stdin.off('data', onData);
    stdin.setRawMode(false);
    stdin.pause();
  };
}

/** `flash --monitor`: the monitor's options without --no-reset (the flash job resets the chip). */
export const FLASH_MONITOR_OPTIONS: OptionSpec[] = [
  { name: 'monitor', kind: 'flag', help: 'Then monitor the chip (opened before flashing, so no boot line is missed); monitor options below' },
  ...MONITOR_OPTIONS.filter((s) => s.name !== 'no-reset'),
];

/**
 * Open the monitor before a flash job (without a reset): the job borrows the port, resets the
 * chip into the new firmware and hands the port back, so the monitor shows the whole boot.
 * Returns undefined without --monitor.
 */
export async function monitorAroundFlash(o: Options, port: string, out: OutFn, ctx: CliContext, plan: FlashPlan): Promise<MonitorRun | undefined> {
  if (!o.has('monitor')) return undefined;
  const decoder = decoderFor(o, plan, plan.chip, out);
  return startMonitor(o, port, out, ctx, decoder, { reset: false });
}
