/**
 * `npm run bench` (monitor section; also `npm run bench:monitor`): the serial monitor under a
 * virtual chip whose app prints back to back at 2,000,000 baud for 30 s, through the real
 * serialport binding on a pseudo-terminal, with the UART timing model pacing the chip at
 * baud/10 bytes per second. Each line carries its number and the time its last byte left the
 * chip; the bench checks that every line arrives once and in order (no lost byte) and measures
 * the time from the chip to the monitor's output (goal ≤ 50 ms).
 *
 *   npm run bench:monitor -- --seconds 10 --baud 921600 [--json]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SerialMonitor } from '../../src/core/monitor/monitor';
import { readProject } from '../../src/core/project/read_project';
import { writeSampleIdfBuildDetailed } from '../../test/fixtures/sample_build';
import { startPtyChip } from '../../src/sim/pty_chip';
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
  lost: number;
  outOfOrder: number;
  corrupt: number;
  bytesPerSecond: number;
  wireShare: number;
  /** From the line's last byte leaving the chip on the modelled wire to the monitor's output. */
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  /** From the chip handing the line to the pty (the simulator's own lateness excluded) to the monitor's output. */
  hostLatencyMs: { p50: number; p95: number; p99: number; max: number };
}

export async function benchMonitor(seconds = 30, baud = 2_000_000): Promise<MonitorBenchResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-monitor-'));
  const build = await writeSampleIdfBuildDetailed(path.join(dir, 'project'), { chip: 'esp32c3' });
  const plan = (await readProject(build.buildDir)).plan;
  const pty = await startPtyChip({ chip: 'esp32c3', resetLines: true, timing: true, appBaud: baud });
  for (const s of plan.segments) pty.chip.preloadFlash(s.offset, s.bytes);
  const latencies: number[] = [];
  const hostLatencies: number[] = [];
  // When each flood line left the chip (the wire model released it to the pty), in order.
  const released: number[] = [];
  pty.chip.onTransmit = (bytes) => {
    if (bytes[0] === 0x46 && bytes[1] === 0x20) released.push(performance.now());
  };
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
  const monitor = await SerialMonitor.open({
    port: pty.path,
    baud,
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
  function onText(text: string): void {
    const now = performance.now();
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
    if (released[seq] !== undefined) hostLatencies.push(now - released[seq]);
  }
  try {
    await Promise.race([boot, new Promise((_, rej) => setTimeout(() => rej(new Error('the virtual app did not boot within 10 s')), 10_000))]);
    const sent = await pty.chip.flood(seconds * 1000, LINE_LENGTH);
    // Let the last lines through the wire model and the pty.
    const end = Date.now() + 5000;
    while (expected < sent.lines && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    lost += sent.lines - expected;
    latencies.sort((a, b) => a - b);
    hostLatencies.sort((a, b) => a - b);
    const quantiles = (xs: number[]) => {
      const q = (p: number): number => Math.round((xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN) * 10) / 10;
      return { p50: q(0.5), p95: q(0.95), p99: q(0.99), max: q(1) };
    };
    return {
      baud,
      seconds,
      linesSent: sent.lines,
      bytesSent: sent.bytes,
      linesShown: shown,
      lost,
      outOfOrder,
      corrupt,
      // Rate on the wire between the first and the last line shown.
      bytesPerSecond: Math.round(((shown - 1) * LINE_LENGTH) / ((lastT - firstT) / 1000)),
      wireShare: Math.round((((shown - 1) * LINE_LENGTH) / ((lastT - firstT) / 1000) / (baud / 10)) * 1000) / 1000,
      latencyMs: quantiles(latencies),
      hostLatencyMs: quantiles(hostLatencies),
    };
  } finally {
    await monitor.close();
    await pty.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function formatMonitorBench(r: MonitorBenchResult): string[] {
  return [
    `Monitor: ${r.seconds} s of app output at ${r.baud} baud (virtual chip, UART timing model, real serialport on a pty)`,
    `  sent ${r.linesSent} lines / ${r.bytesSent} bytes; shown at ${r.bytesPerSecond} B/s on the wire (${(r.wireShare * 100).toFixed(1)}% of baud/10)`,
    `  shown ${r.linesShown} lines, lost ${r.lost}, out of order ${r.outOfOrder}, damaged ${r.corrupt}${r.lost + r.outOfOrder + r.corrupt === 0 ? ' — no byte lost' : ' — LOST OUTPUT'}`,
    `  latency, line leaves the chip (modelled wire) → monitor output: p50 ${r.latencyMs.p50} ms, p95 ${r.latencyMs.p95} ms, p99 ${r.latencyMs.p99} ms, max ${r.latencyMs.max} ms (goal ≤ 50 ms)`,
    `  latency, chip hands the line to the pty → monitor output (host path only): p50 ${r.hostLatencyMs.p50} ms, p95 ${r.hostLatencyMs.p95} ms, p99 ${r.hostLatencyMs.p99} ms, max ${r.hostLatencyMs.max} ms`,
    `  (the simulator, the pty and the monitor share one Node process and the machine's CPUs; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs during this run)`,
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

if (require.main === module) runAsScript(main(process.argv.slice(2)));
