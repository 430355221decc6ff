/**
 * `npm run bench` (monitor section; also `npm run bench:monitor`): the serial monitor under a
 * virtual chip whose app prints back to back at 2,000,000 baud for 30 s, through the real
 * serialport binding on a pseudo-terminal, with the UART timing model pacing the chip at
 * baud/10 bytes per second. The chip runs in its own process (bench_monitor_chip.ts), so the
 * monitor's latency is not measured inside the chip's event loop. Each line carries its number
 * and the time (epoch ms) its last byte leaves the chip on the modelled wire; the bench checks
 * that every line arrives once, in order and intact (no lost byte) and measures the time from
 * there to the line in the monitor's output (goal ≤ 50 ms).
 *
 *   npm run bench:monitor -- --seconds 10 --baud 921600 [--json]
 */
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { SerialMonitor } from '../../src/core/monitor/monitor';
import { Options, formatOptionHelp, parseArgs, type OptionSpec } from '../../src/cli/args';
import { runAsScript } from '../../src/cli/run_as_script';

const LINE_LENGTH = 64;

const OPTIONS: OptionSpec[] = [
  { name: 'seconds', kind: 'value', valueName: 'S', help: 'How long the app floods its console (default 30)' },
  { name: 'baud', kind: 'value', valueName: 'BAUD', help: 'Console baud rate (default 2000000)' },
  { name: 'json', kind: 'flag', help: 'Print the result as JSON' },
];

export interface MonitorBenchResult {
  baud: number;
  seconds: number;
  linesSent: number;
  bytesSent: number;
  linesShown: number;
  /** Bytes of the flood lines shown (each LINE_LENGTH on the wire). */
  bytesShown: number;
  lost: number;
  outOfOrder: number;
  corrupt: number;
  bytesPerSecond: number;
  wireShare: number;
  /** From the line's last byte leaving the chip on the modelled wire (chip process) to the monitor's output (this process). */
  latencyMs: Quantiles;
  /** The part of that on the host: from the chip's process handing the line to the pty to the monitor's output. */
  hostLatencyMs: Quantiles;
  /** The chip process's own lateness: handed to the pty after the modelled wire time. */
  chipLateMs: Quantiles;
  /** CPU time of this process (the monitor and the serialport binding) over the flood, in % of one CPU. */
  monitorCpuPercent: number;
}

export interface Quantiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

function quantiles(xs: number[]): Quantiles {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => Math.round((s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN) * 10) / 10;
  return { p50: q(0.5), p95: q(0.95), p99: q(0.99), max: q(1) };
}

interface ChipProcess {
  path: string;
  send(cmd: string): void;
  next(): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

async function startChipProcess(baud: number): Promise<ChipProcess> {
  const script = path.join(__dirname, 'bench_monitor_chip.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script, String(baud), String(LINE_LENGTH)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const queue: Record<string, unknown>[] = [];
  const waiting: ((o: Record<string, unknown>) => void)[] = [];
  let ended: Error | undefined;
  const failAll = (): void => {
    for (const w of waiting.splice(0)) w({ error: ended!.message });
  };
  child.once('exit', (code) => {
    ended = new Error(`the virtual chip's process ended (code ${code}). ${stderr.trim()}`);
    failAll();
  });
  readline.createInterface({ input: child.stdout }).on('line', (l) => {
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(l) as Record<string, unknown>;
    } catch {
      return;
    }
    const w = waiting.shift();
    if (w) w(o);
    else queue.push(o);
  });
  const next = (): Promise<Record<string, unknown>> =>
    queue.length ? Promise.resolve(queue.shift()!) : ended ? Promise.resolve({ error: ended.message }) : new Promise((r) => waiting.push(r));
  const first = await next();
  if (typeof first.path !== 'string') throw new Error(`the virtual chip's process did not start: ${String(first.error ?? JSON.stringify(first))}`);
  return {
    path: first.path,
    send: (cmd) => void child.stdin.write(cmd + '\n'),
    next,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGTERM'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.stdin.end();
      }),
  };
}

export async function benchMonitor(seconds = 30, baud = 2_000_000): Promise<MonitorBenchResult> {
  const chip = await startChipProcess(baud);
  const latencies: number[] = [];
  /** Per line number: when it was shown here and when it left the chip (modelled wire), epoch ms. */
  const shownAt: number[] = [];
  const leftAt: number[] = [];
  let expected = 0;
  let shown = 0;
  let lost = 0;
  let outOfOrder = 0;
  let corrupt = 0;
  let firstT = NaN;
  let lastT = NaN;
  let booted = false;
  let pending = '';
  let resolveBoot!: () => void;
  const boot = new Promise<void>((r) => (resolveBoot = r));
  let monitor: SerialMonitor | undefined;
  function onText(text: string): void {
    const now = performance.timeOrigin + performance.now();
    if (!booted && text.includes('Calling app_main()')) {
      booted = true;
      resolveBoot();
    }
    if (!text.startsWith('F ')) return;
    const m = /^F (\d{9}) (\d+\.\d{3}) x*\n$/.exec(text);
    // Every line is LINE_LENGTH bytes on the wire ("\r\n" shown as "\n").
    if (!m || text.length !== LINE_LENGTH - 1) {
      corrupt++;
      return;
    }
    const seq = Number(m[1]);
    const t = Number(m[2]);
    if (Number.isNaN(firstT)) firstT = t;
    lastT = t;
    shown++;
    if (seq > expected) lost += seq - expected;
    if (seq < expected) outOfOrder++;
    expected = Math.max(expected, seq + 1);
    latencies.push(now - t);
    shownAt[seq] = now;
    leftAt[seq] = t;
  }
  try {
    monitor = await SerialMonitor.open({
      port: chip.path,
      baud,
      // The chip's reset lines are in its own process: it resets itself on "boot".
      reset: false,
      // Lines may be written in pieces (the monitor shows a line's start while the rest is late).
      write: (piece) => {
        pending += piece;
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          onText(pending.slice(0, nl + 1));
          pending = pending.slice(nl + 1);
        }
      },
    });
    chip.send('boot');
    await chip.next();
    await Promise.race([boot, new Promise((_, rej) => setTimeout(() => rej(new Error('the virtual app did not boot within 10 s')), 10_000))]);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    chip.send(`flood ${seconds * 1000}`);
    const sent = (await chip.next()) as { lines?: number; bytes?: number; released?: number[]; error?: string };
    if (sent.lines === undefined || sent.bytes === undefined) throw new Error(`the flood did not run: ${sent.error ?? JSON.stringify(sent)}`);
    // Let the last lines through the pty.
    const end = Date.now() + 5000;
    while (expected < sent.lines && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    const cpu = process.cpuUsage(cpu0);
    const wall = performance.now() - t0;
    lost += sent.lines - expected;
    const released = sent.released ?? [];
    const host: number[] = [];
    const late: number[] = [];
    released.forEach((r, seq) => {
      if (shownAt[seq] === undefined) return;
      host.push(shownAt[seq] - r);
      late.push(Math.max(0, r - leftAt[seq]));
    });
    // Rate on the wire between the first and the last line shown.
    const rate = ((shown - 1) * LINE_LENGTH) / ((lastT - firstT) / 1000);
    return {
      baud,
      seconds,
      linesSent: sent.lines,
      bytesSent: sent.bytes,
      linesShown: shown,
      bytesShown: shown * LINE_LENGTH,
      lost,
      outOfOrder,
      corrupt,
      bytesPerSecond: Math.round(rate),
      wireShare: Math.round((rate / (baud / 10)) * 1000) / 1000,
      latencyMs: quantiles(latencies),
      hostLatencyMs: quantiles(host),
      chipLateMs: quantiles(late),
      monitorCpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / wall) * 1000) / 10,
    };
  } finally {
    await monitor?.close();
    await chip.stop();
  }
}

export function formatMonitorBench(r: MonitorBenchResult): string[] {
  return [
    `Monitor: ${r.seconds} s of app output at ${r.baud} baud (virtual chip in its own process, UART timing model, real serialport on a pty)`,
    `  sent ${r.linesSent} lines / ${r.bytesSent} bytes; shown ${r.linesShown} lines / ${r.bytesShown} bytes at ${r.bytesPerSecond} B/s on the wire (${(r.wireShare * 100).toFixed(1)}% of baud/10)`,
    `  lost ${r.lost}, out of order ${r.outOfOrder}, damaged ${r.corrupt}${r.lost + r.outOfOrder + r.corrupt === 0 ? ' — no byte lost' : ' — LOST OUTPUT'}`,
    `  latency, line's last byte leaves the chip (modelled wire) → line in the monitor's output: p50 ${r.latencyMs.p50} ms, p95 ${r.latencyMs.p95} ms, p99 ${r.latencyMs.p99} ms, max ${r.latencyMs.max} ms (goal ≤ 50 ms)`,
    `    of which host path (chip process hands the line to the pty → monitor output): p50 ${r.hostLatencyMs.p50} ms, p95 ${r.hostLatencyMs.p95} ms, p99 ${r.hostLatencyMs.p99} ms, max ${r.hostLatencyMs.max} ms`,
    `    and the chip process's own lateness (handed to the pty after the modelled wire time): p50 ${r.chipLateMs.p50} ms, p95 ${r.chipLateMs.p95} ms, p99 ${r.chipLateMs.p99} ms, max ${r.chipLateMs.max} ms`,
    `  monitor process CPU ${r.monitorCpuPercent}% of one CPU; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs during this run`,
  ];
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    console.log(['Usage: npm run bench:monitor -- [options]', '', ...formatOptionHelp(OPTIONS)].join('\n'));
    return 0;
  }
  const o = new Options(parseArgs(argv, OPTIONS, 'bench:monitor'), 'bench:monitor');
  const r = await benchMonitor(o.number('seconds') ?? 30, o.number('baud') ?? 2_000_000);
  console.log(o.has('json') ? JSON.stringify(r, null, 2) : formatMonitorBench(r).join('\n'));
  return r.lost + r.outOfOrder + r.corrupt === 0 ? 0 : 1;
}

/** The monitor section at the end of `npm run bench` (not when the run picks sections or filters). */
export async function benchMonitorSection(benchArgs: string[], out: (l: string) => void): Promise<number> {
  const picks = ['--section', '--baud', '--mode', '--loader', '--size', '--sim-stub', '--help', '-h'];
  if (benchArgs.some((a) => picks.some((f) => a === f || a.startsWith(`${f}=`)))) return 0;
  const r = await benchMonitor();
  if (benchArgs.includes('--json')) out(JSON.stringify({ monitor: r }, null, 2));
  else for (const l of ['', ...formatMonitorBench(r)]) out(l);
  return r.lost + r.outOfOrder + r.corrupt === 0 ? 0 : 1;
}

if (require.main === module) runAsScript(main(process.argv.slice(2)));
