/**
 * `esp-flasher virtual serve <spec>`: run a virtual chip on a pseudo-terminal for another
 * program (esptool, esptool-js over a serial bridge, a terminal), print the device path, and
 * count what crosses the wire: bytes each way and requests per opcode, printed when the
 * command ends (Ctrl-C, SIGTERM, --seconds, or the chip being closed).
 */
import { opName } from '../core/protocol/opcodes';
import type { SimStats } from '../sim/sim_stats';
import { startPtyChip } from '../sim/pty_chip';
import { isVirtualPortSpec, parseVirtualPortSpec } from '../sim/virtual_port_spec';
import { Options, UsageError, formatOptionHelp, parseArgs, type OptionSpec } from './args';
import { defaultContext, type CliContext, type OutFn } from './cli_context';

const OPTIONS: OptionSpec[] = [
  { name: 'seconds', kind: 'value', valueName: 'S', help: 'Stop after S seconds (default: until Ctrl-C or SIGTERM)' },
  { name: 'json', kind: 'flag', help: 'Print the device path and, at the end, the counters as JSON lines' },
];

export const usage = [
  'Usage: esp-flasher virtual serve <spec> [options]',
  '',
  'Serve a virtual chip on a pseudo-terminal for another program and print its device path.',
  'The spec is a virtual port spec with or without the "virtual:" prefix, e.g.',
  '  esp-flasher virtual serve esp32c6:timing',
  '  esp-flasher virtual serve virtual:esp32s3:encryption=development:flash=8MB',
  'The chip has no reset lines: use --before no_reset (esptool) or --before no-reset.',
  'On exit (Ctrl-C, SIGTERM, --seconds) it prints bytes on the wire and requests per opcode.',
  '',
  'Options:',
  ...formatOptionHelp(OPTIONS),
].join('\n');

/** The counters printed at the end, one line each. */
export function formatServeStats(stats: SimStats, seconds: number): string[] {
  const ops = Object.entries(stats.perOpcode)
    .map(([op, n]) => ({ op: Number(op), n }))
    .sort((a, b) => b.n - a.n || a.op - b.op);
  const lines = [
    `Served ${seconds.toFixed(1)} s: host → chip ${stats.bytesIn} bytes in ${stats.framesIn} frames, chip → host ${stats.bytesOut} bytes in ${stats.framesOut} frames.`,
    `Requests: ${stats.commands}${stats.badFrames ? ` (+${stats.badFrames} frames that were not a valid request)` : ''}.`,
  ];
  const width = Math.max(0, ...ops.map((o) => opName(o.op).length));
  for (const o of ops) lines.push(`  ${opName(o.op).padEnd(width)}  0x${o.op.toString(16).padStart(2, '0')}  ${String(o.n).padStart(6)}`);
  if (stats.bytesWritten) lines.push(`Flash: ${stats.bytesWritten} bytes written, ${stats.sectorsErased} sectors + ${stats.blocksErased} 64 KiB blocks erased.`);
  return lines;
}

export function statsJson(stats: SimStats, seconds: number): Record<string, unknown> {
  const perOpcode: Record<string, number> = {};
  for (const [op, n] of Object.entries(stats.perOpcode)) perOpcode[opName(Number(op))] = n;
  return {
    seconds,
    bytesIn: stats.bytesIn,
    bytesOut: stats.bytesOut,
    framesIn: stats.framesIn,
    framesOut: stats.framesOut,
    badFrames: stats.badFrames,
    requests: stats.commands,
    perOpcode,
    bytesWritten: stats.bytesWritten,
  };
}

/** Resolves when the first of: abort signal, SIGTERM, timeout. */
function untilStopped(signal: AbortSignal | undefined, seconds: number | undefined): Promise<string> {
  return new Promise((resolve) => {
    const done = (why: string): void => {
      process.off('SIGTERM', onTerm);
      signal?.removeEventListener('abort', onAbort);
      if (timer) clearTimeout(timer);
      resolve(why);
    };
    const onTerm = (): void => done('SIGTERM');
    // main() aborts with the signal's name attached (SIGTERM arrives here as an abort too).
    const onAbort = (): void => done((signal?.reason as { signal?: string } | undefined)?.signal === 'SIGTERM' ? 'SIGTERM' : 'interrupted');
    process.on('SIGTERM', onTerm);
    if (signal?.aborted) return done('interrupted');
    signal?.addEventListener('abort', onAbort);
    const timer = seconds !== undefined ? setTimeout(() => done(`${seconds} s elapsed`), seconds * 1000) : undefined;
  });
}

export async function run(args: string[], out: OutFn, ctx: CliContext = defaultContext(out)): Promise<number> {
  const o = new Options(parseArgs(args, OPTIONS, 'virtual'), 'virtual');
  const [verb, spec, ...extra] = o.positionals;
  if (verb !== 'serve') throw new UsageError(verb === undefined ? 'Say what to do: "virtual serve <spec>".' : `Unknown "virtual ${verb}": the only action is "serve".`, 'virtual');
  if (!spec) throw new UsageError('"virtual serve" needs a chip spec, e.g. esp32c6 or virtual:esp32c3:encryption=development.', 'virtual');
  if (extra.length) throw new UsageError(`"virtual serve" takes one spec (got also ${extra.join(' ')}).`, 'virtual');
  const seconds = o.number('seconds');
  if (seconds !== undefined && !(seconds > 0)) throw new UsageError('--seconds must be a positive number.', 'virtual');
  let chipOpts;
  try {
    chipOpts = parseVirtualPortSpec(isVirtualPortSpec(spec) ? spec : `virtual:${spec}`)!;
  } catch (e) {
    throw new UsageError((e as Error).message, 'virtual');
  }
  const json = o.has('json');
  const pty = await startPtyChip(chipOpts);
  const started = performance.now();
  try {
    if (json) out(JSON.stringify({ path: pty.path, pts: pty.ptsPath, chip: pty.chip.chip.name }));
    else {
      out(pty.path);
      ctx.err(`Virtual ${pty.chip.chip.displayName} in download mode on ${pty.path} (${pty.ptsPath}); Ctrl-C to stop.`);
    }
    const why = await untilStopped(ctx.signal, seconds);
    const s = (performance.now() - started) / 1000;
    if (json) out(JSON.stringify({ stopped: why, ...statsJson(pty.chip.stats, s) }));
    else for (const line of [`Stopped (${why}).`, ...formatServeStats(pty.chip.stats, s)]) ctx.err(line);
    return 0;
  } finally {
    await pty.close();
  }
}
