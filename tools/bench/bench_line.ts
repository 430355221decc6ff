/**
 * Production-line bench (part of `npm run bench`; alone: `npm run bench:line`): 1 virtual chip,
 * then 8 at once, with the timing model at 921600 baud, each written by the line runner
 * (src/core/line) exactly as `esp-flasher flash --port … --port …` does. The chips run in a
 * child process, so the flasher's CPU use (process.cpuUsage) is the host's work alone.
 *
 * Prints wall time for 1 and for 8, the wall ratio (goal ≤ 1.15), the aggregate speed-up
 * (goal ≥ 7×) and CPU use of the flasher process and of the chips' process.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { clearDeflateCache } from '../../src/core/flash/deflate_cache';
import { runLine, type LineJob } from '../../src/core/line/line_runner';
import type { ChipName } from '../../src/core/chips';
import { Options, UsageError, formatOptionHelp, parseArgs, type OptionSpec } from '../../src/cli/args';
import { BENCH_SIZE, benchImage } from './bench';
import { runAsScript } from '../../src/cli/run_as_script';

const OPTIONS: OptionSpec[] = [
  { name: 'devices', kind: 'value', valueName: 'N', help: 'Devices in the parallel run (default 8)' },
  { name: 'baud', kind: 'value', valueName: 'BAUD', help: 'Baud rate (default 921600)' },
  { name: 'size', kind: 'value', valueName: 'BYTES', help: 'Image size (default 1M)' },
  { name: 'rounds', kind: 'value', valueName: 'N', help: 'Rounds of (1 device, N devices); the best of each is compared (default 2)' },
  { name: 'json', kind: 'flag', help: 'Print the figures as JSON' },
  { name: 'debug', kind: 'flag', help: 'Print stack traces on errors' },
];

export interface LinePhase {
  devices: number;
  ok: number;
  wallSeconds: number;
  /** Slowest device's own job time. */
  maxDeviceSeconds: number;
  /** Every device's own job time (connect to reset), in port order. */
  deviceSeconds: number[];
  /** Flasher process CPU (user+system) during the phase, seconds. */
  hostCpuSeconds: number;
  /** Chips' process CPU during the phase, seconds. */
  chipCpuSeconds: number;
  errors: string[];
}

export interface LineBench {
  baud: number;
  size: number;
  image: string;
  /** The fastest 1-device and N-device phases of all rounds (a shared machine's load only slows). */
  one: LinePhase;
  many: LinePhase;
  /** Every round's walls, [1 device, N devices]. */
  rounds: [number, number][];
  /** wall(many) / wall(one); goal ≤ 1.15. */
  wallRatio: number;
  /** (devices × size / wall(many)) / (size / wall(one)); goal ≥ 7 for 8 devices. */
  aggregateSpeedup: number;
  /** Aggregate uncompressed kbit/s of the parallel run. */
  aggregateKbps: number;
}

/** The chips' process: start it, wait for its ports. */
async function startChips(
  count: number,
  chip: ChipName,
): Promise<{ child: ChildProcessWithoutNullStreams; paths: string[]; cpu: () => Promise<number>; stop: () => Promise<void> }> {
  const script = path.join(__dirname, 'bench_line_chips.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script, String(count), chip, 'legacy'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = readline.createInterface({ input: child.stdout });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (l) => waiting.shift()?.(l));
  const nextLine = (what: string, ms: number): Promise<string> =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`The virtual chips' process did not answer (${what}) within ${ms / 1000} s. ${stderr.trim()}`)), ms);
      waiting.push((l) => {
        clearTimeout(t);
        resolve(l);
      });
      child.once('exit', (code) => reject(new Error(`The virtual chips' process ended (code ${code}). ${stderr.trim()}`)));
    });
  const first = JSON.parse(await nextLine('start', 60_000)) as { paths?: string[]; error?: string };
  if (!first.paths) throw new Error(`The virtual chips did not start: ${first.error ?? 'no ports'}`);
  return {
    child,
    paths: first.paths,
    cpu: async () => {
      child.stdin.write('cpu\n');
      return (JSON.parse(await nextLine('cpu', 10_000)) as { cpuMicros: number }).cpuMicros / 1e6;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          child.kill('SIGTERM');
          resolve();
        }, 10_000);
        child.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        child.stdin.end();
      }),
  };
}

const cpuSeconds = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1e6;

export async function runLineBench(opts: { devices?: number; baud?: number; size?: number; rounds?: number } = {}): Promise<LineBench> {
  const devices = opts.devices ?? 8;
  const roundCount = opts.rounds ?? 2;
  const baud = opts.baud ?? 921600;
  const size = opts.size ?? BENCH_SIZE;
  const image = await benchImage(size);
  const chips = await startChips(devices, image.chip);
  try {
    const job: LineJob = {
      segments: [{ name: 'app', offset: 0x10000, bytes: image.bytes, encrypt: 'off' }],
      options: { baud, chip: image.chip, stub: true, before: 'no-reset', after: 'no-reset', compress: true, skipUnchanged: false, verify: true },
      expect: { chip: image.chip },
    };
    // Each phase is a run of its own: it compresses the image once (shared by its devices).
    const phase = async (n: number): Promise<LinePhase> => {
      clearDeflateCache();
      const cpu0 = process.cpuUsage();
      const chip0 = await chips.cpu();
      const t0 = performance.now();
      const records = await runLine(
        chips.paths.slice(0, n).map((port) => ({ port })),
        job,
      );
      const wall = (performance.now() - t0) / 1000;
      const host = cpuSeconds(process.cpuUsage(cpu0));
      const chipCpu = (await chips.cpu()) - chip0;
      return {
        devices: n,
        ok: records.filter((r) => r.result === 'ok').length,
        wallSeconds: wall,
        maxDeviceSeconds: Math.max(...records.map((r) => r.seconds)),
        deviceSeconds: records.map((r) => r.seconds),
        hostCpuSeconds: host,
        chipCpuSeconds: chipCpu,
        errors: records.filter((r) => r.result !== 'ok').map((r) => `${r.port}: ${r.error}`),
      };
    };
    // Warm-up (not measured): loads the serial binding and compiles the hot paths.
    await runLine([{ port: chips.paths[0] }], { ...job, segments: [{ ...job.segments[0], bytes: image.bytes.subarray(0, 64 * 1024) }] });
    const ones: LinePhase[] = [];
    const manys: LinePhase[] = [];
    for (let r = 0; r < roundCount; r++) {
      ones.push(await phase(1));
      manys.push(await phase(devices));
    }
    const best = (list: LinePhase[]): LinePhase => list.reduce((a, b) => (b.ok === b.devices && (a.ok < a.devices || b.wallSeconds < a.wallSeconds) ? b : a));
    const one = best(ones);
    const many = best(manys);
    const failures = [...ones, ...manys].flatMap((p) => p.errors);
    one.errors = [...new Set([...one.errors, ...failures])];
    return {
      rounds: ones.map((o, i) => [o.wallSeconds, manys[i].wallSeconds]),
      baud,
      size,
      image: image.source,
      one,
      many,
      wallRatio: many.wallSeconds / one.wallSeconds,
      aggregateSpeedup: (devices * one.wallSeconds) / many.wallSeconds,
      aggregateKbps: (devices * size * 8) / many.wallSeconds / 1000,
    };
  } finally {
    await chips.stop();
  }
}

export function formatLineBench(b: LineBench): string[] {
  const row = (p: LinePhase): string =>
    `  ${String(p.devices).padStart(2)} device${p.devices === 1 ? ' ' : 's'}  ${p.ok}/${p.devices} ok  wall ${p.wallSeconds.toFixed(2)} s  flasher CPU ${p.hostCpuSeconds.toFixed(2)} s (${((p.hostCpuSeconds / p.wallSeconds) * 100).toFixed(0)}% of a core)  chips' CPU ${p.chipCpuSeconds.toFixed(2)} s; per device ${Math.min(...p.deviceSeconds).toFixed(2)}–${p.maxDeviceSeconds.toFixed(2)} s`;
  const lines = [
    `Production line: ${b.size} bytes, stub, compressed, ${b.baud} baud, timing model on, chips in a separate process.`,
    `  rounds (wall s, 1 device / ${b.many.devices} devices): ${b.rounds.map(([a, c]) => `${a.toFixed(2)} / ${c.toFixed(2)}`).join(', ')}; best of each:`,
    row(b.one),
    row(b.many),
    `  wall ratio ${b.many.devices}/1: ${b.wallRatio.toFixed(3)} (goal ≤ 1.15); aggregate ${b.aggregateSpeedup.toFixed(2)}× one device (goal ≥ ${b.many.devices - 1}×), ${b.aggregateKbps.toFixed(0)} kbit/s in all.`,
  ];
  for (const e of [...b.one.errors, ...b.many.errors]) lines.push(`  FAILED ${e}`);
  return lines;
}

export async function runLineBenchCli(args: string[], out: (l: string) => void): Promise<number> {
  const o = new Options(parseArgs(args, OPTIONS, 'bench:line'), 'bench:line');
  if (o.has('help')) {
    out(['Usage: npm run bench:line -- [options]', '', 'N virtual chips flashed at once vs one, timing model on.', '', ...formatOptionHelp(OPTIONS)].join('\n'));
    return 0;
  }
  const devices = o.number('devices') ?? 8;
  if (devices < 1 || devices > 64) throw new UsageError('--devices: 1…64.');
  const rounds = o.number('rounds') ?? 2;
  if (rounds < 1 || rounds > 10) throw new UsageError('--rounds: 1…10.');
  const b = await runLineBench({ devices, baud: o.number('baud') ?? 921600, size: o.number('size') ?? BENCH_SIZE, rounds });
  if (o.has('json')) out(JSON.stringify(b, null, 2));
  else for (const l of formatLineBench(b)) out(l);
  return b.one.errors.length + b.many.errors.length === 0 ? 0 : 1;
}

if (require.main === module) {
  runAsScript(runLineBenchCli(process.argv.slice(2), (l) => process.stdout.write(l + '\n')));
}

/**
 * The section `npm run bench` appends after its own table: only for the full bench (no row
 * filters, no --help); with --json, one more JSON document {"productionLine": …}.
 */
export async function benchLineSection(benchArgs: string[], out: (l: string) => void): Promise<number> {
  const filters = ['--section', '--baud', '--mode', '--loader', '--size', '--sim-stub', '--help', '-h'];
  if (benchArgs.some((a) => filters.some((f) => a === f || a.startsWith(`${f}=`)))) return 0;
  const json = benchArgs.includes('--json');
  if (!json) out('');
  const b = await runLineBench();
  if (json) out(JSON.stringify({ productionLine: b }, null, 2));
  else for (const l of formatLineBench(b)) out(l);
  return b.one.errors.length + b.many.errors.length === 0 ? 0 : 1;
}
