/**
 * `npm run bench` sections that put ESP Flasher next to esptool 4.12: the same virtual chip spec
 * (served on a pseudo-terminal, timing model on) or the same QEMU ESP32 with its real ROM, the
 * same files, the same baud, runs interleaved. Each tool runs as its own program.
 *
 *   stub      fresh flash → identical re-flash → one 4 KiB sector changed, on one chip per tool
 *   rom       ROM loader, plain (compressed), fresh chip
 *   rom-enc   ROM loader, device encryption (development mode), fresh chip
 *   qemu      QEMU ESP32 (real ROM), stub set 1 for both: fresh flash and one sector changed
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ChipName } from '../../src/core/chips';
import { startPtyChip } from '../../src/sim/pty_chip';
import type { TraceEvent, VirtualChipOptions } from '../../src/sim/virtual_chip';
import { UART_BITS_PER_BYTE } from '../../src/sim/timing_model';
import { Op } from '../../src/core/protocol/opcodes';
import { runTool, writeSpan, type Tool, type ToolJob, type ToolRun, type WriteSpan } from './bench_peers';
import { QEMU_START_ENV } from '../qemu/start_env';

export const COMPARE_SECTIONS = ['stub', 'rom', 'rom-enc', 'qemu'] as const;
export type CompareSection = (typeof COMPARE_SECTIONS)[number];

export const APP_OFFSET = 0x10000;
/** The sector changed for the re-flash rows: in the middle of the image. */
export const CHANGED_SECTOR_AT = 0x80000;

export interface Measure {
  ok: boolean;
  wholeS: number;
  span?: WriteSpan;
  error?: string;
  /** Requests per opcode name the chip saw (virtual chip only). */
  requests?: number;
  /** CPU steal share while the tool ran (ToolRun.stealShare). */
  stealShare?: number;
  /**
   * The chip-side minimum of this run (virtual chip only): the bytes that arrived during its write
   * span at full wire speed plus the chip's own SPI_FLASH_MD5 time (reading and hashing, as the
   * timing model charges it). Starting the program, connecting and every round trip are left out,
   * so no tool sending these bytes and checking them the same way can finish sooner.
   */
  floorS?: number;
}

export interface CompareRow {
  section: CompareSection;
  label: string;
  esptool: Measure[];
  ours: Measure[];
  /** What the goal compares: ours/esptool whole command, or ours/our own full flash. */
  goal?: { text: string; value: (r: CompareRow) => number | undefined; limit: number; unit?: 's' | 'ratio' };
}

export interface CompareContext {
  shared: string;
  runs: number;
  baud: number;
  image: Uint8Array;
  chip: ChipName;
  log: (line: string) => void;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

export function medianWhole(ms: Measure[]): number | undefined {
  const ok = ms.filter((m) => m.ok);
  return ok.length ? median(ok.map((m) => m.wholeS)) : undefined;
}

function medianSpan(ms: Measure[]): WriteSpan | undefined {
  const spans = ms.filter((m) => m.ok && m.span).map((m) => m.span!);
  if (!spans.length) return undefined;
  return {
    seconds: median(spans.map((s) => s.seconds)),
    wireBytes: median(spans.map((s) => s.wireBytes)),
    wireFraction: median(spans.map((s) => s.wireFraction)),
    dataBlocks: median(spans.map((s) => s.dataBlocks)),
  };
}

function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * The image with the 4 KiB at `at` changed so that it stays a valid app: an even number of bytes
 * XORed with one value keeps the segment checksum, and an appended SHA-256 (header byte 23) is
 * computed again — so the last sector changes too, as in a real rebuild.
 */
export function withSectorChanged(image: Uint8Array, at: number): Uint8Array {
  const out = Uint8Array.from(image);
  for (let i = at; i < at + 0x1000 && i < out.length; i++) out[i] ^= 0x5a;
  if (out.length > 64 && out[23] === 1)
    out.set(
      createHash('sha256')
        .update(out.subarray(0, out.length - 32))
        .digest(),
      out.length - 32,
    );
  return out;
}

/** Interleave: run r starts with esptool when r is even, with ours when odd. */
function order(run: number): Tool[] {
  return run % 2 === 0 ? ['esptool', 'ours'] : ['ours', 'esptool'];
}

function measureOf(run: ToolRun, trace: TraceEvent[], baud: number): Measure {
  const span = writeSpan(trace, baud);
  const md5S = trace.filter((e) => e.op === Op.SPI_FLASH_MD5).reduce((t, e) => t + (e.repliedAt - e.takenAt) / 1000, 0);
  const floorS = ((span?.wireBytes ?? 0) * UART_BITS_PER_BYTE) / baud + md5S;
  const m: Measure = { ok: run.ok, wholeS: run.wholeS, span, requests: trace.length, stealShare: run.stealShare, floorS };
  if (!run.ok) m.error = lastLines(run.output);
  return m;
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ').slice(0, 300);
}

/** Environment for our CLI: its device cache in a folder of this chain only. */
function oursEnv(cacheDir: string): NodeJS.ProcessEnv {
  return { ...process.env, XDG_CACHE_HOME: cacheDir };
}

async function runOn(tool: Tool, chip: { onTrace(l: (e: TraceEvent) => void): () => void }, job: ToolJob, ctx: CompareContext, env: NodeJS.ProcessEnv): Promise<Measure> {
  const trace: TraceEvent[] = [];
  const off = chip.onTrace((e) => trace.push(e));
  try {
    const r = await runTool(tool, job, ctx.shared, env);
    return measureOf(r, trace, job.baud);
  } finally {
    off();
  }
}

function checkFlash(m: Measure, actual: Uint8Array, want: Uint8Array, what: string): Measure {
  if (m.ok && !Buffer.from(actual).equals(Buffer.from(want))) return { ...m, ok: false, error: `${what}: the flash does not hold the image afterwards` };
  return m;
}

/** Section "stub": per tool one chip, three flashes. */
export async function stubChain(ctx: CompareContext): Promise<CompareRow[]> {
  const dir = tmpDir('esp-bench-stub-');
  const appFile = path.join(dir, 'app.bin');
  const changedFile = path.join(dir, 'app-changed.bin');
  const changed = withSectorChanged(ctx.image, CHANGED_SECTOR_AT);
  fs.writeFileSync(appFile, ctx.image);
  fs.writeFileSync(changedFile, changed);
  const fresh: CompareRow = {
    section: 'stub',
    label: 'fresh flash, stub, compressed',
    esptool: [],
    ours: [],
    goal: { text: 'ours ≤ 0.85 × esptool (whole command)', value: (r) => ratio(medianWhole(r.ours), medianWhole(r.esptool)), limit: 0.85 },
  };
  const oneSector: CompareRow = {
    section: 'stub',
    label: 'one 4 KiB sector changed (+ SHA-256)',
    esptool: [],
    ours: [],
    goal: { text: 'ours ≤ 10 % of our fresh flash', value: (r) => ratio(medianWhole(r.ours), medianWhole(fresh.ours)), limit: 0.1 },
  };
  const identical: CompareRow = {
    section: 'stub',
    label: 'identical re-flash',
    esptool: [],
    ours: [],
    goal: { text: 'ours ≤ 1 s', value: (r) => medianWhole(r.ours), limit: 1, unit: 's' },
  };
  try {
    for (let run = 0; run < ctx.runs; run++) {
      for (const tool of order(run)) {
        ctx.log(`  stub, run ${run + 1}/${ctx.runs}: ${tool === 'ours' ? 'ESP Flasher' : 'esptool'} — fresh, identical, one sector changed...`);
        const pty = await startPtyChip(chipSpec(ctx.chip));
        const env = oursEnv(tmpDir('esp-bench-cache-'));
        try {
          const job = (file: string): ToolJob => ({ port: pty.path, chip: ctx.chip, baud: ctx.baud, files: [{ offset: APP_OFFSET, file }] });
          const read = () => pty.chip.readFlash(APP_OFFSET, ctx.image.length);
          fresh[tool].push(checkFlash(await runOn(tool, pty.chip, job(appFile), ctx, env), read(), ctx.image, 'fresh'));
          identical[tool].push(checkFlash(await runOn(tool, pty.chip, job(appFile), ctx, env), read(), ctx.image, 'identical'));
          oneSector[tool].push(checkFlash(await runOn(tool, pty.chip, job(changedFile), ctx, env), read(), changed, 'one sector'));
        } finally {
          await pty.close();
          fs.rmSync(env.XDG_CACHE_HOME!, { recursive: true, force: true });
        }
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return [fresh, oneSector, identical];
}

function chipSpec(chip: ChipName, extra: Partial<VirtualChipOptions> = {}): VirtualChipOptions {
  // stub=current: both tools' stubs take the 5-word FLASH_BEGIN (esptool 4.12's set 2, and the
  // esp-flasher-stub build inside esptool-js 0.7).
  return { chip, timing: true, stub: 'current', flashSize: 4 * 1024 * 1024, ...extra };
}

/** Sections "rom" and "rom-enc": the ROM loader on a fresh chip. */
export async function romRow(ctx: CompareContext, encrypted: boolean): Promise<CompareRow> {
  const dir = tmpDir('esp-bench-rom-');
  const appFile = path.join(dir, 'app.bin');
  fs.writeFileSync(appFile, ctx.image);
  const row: CompareRow = {
    section: encrypted ? 'rom-enc' : 'rom',
    label: encrypted ? 'ROM loader, device-encrypted' : 'ROM loader, plain',
    esptool: [],
    ours: [],
    goal: { text: 'ours ≤ esptool (whole command)', value: (r) => ratio(medianWhole(r.ours), medianWhole(r.esptool)), limit: 1 },
  };
  try {
    for (let run = 0; run < ctx.runs; run++) {
      for (const tool of order(run)) {
        ctx.log(`  ${row.section}, run ${run + 1}/${ctx.runs}: ${tool === 'ours' ? 'ESP Flasher' : 'esptool'}...`);
        const pty = await startPtyChip(chipSpec(ctx.chip, encrypted ? { encryption: 'development' } : {}));
        const env = oursEnv(tmpDir('esp-bench-cache-'));
        try {
          const job: ToolJob = { port: pty.path, chip: ctx.chip, baud: ctx.baud, files: [{ offset: APP_OFFSET, file: appFile }], rom: true, encrypt: encrypted };
          let m = await runOn(tool, pty.chip, job, ctx, env);
          const got = encrypted ? pty.chip.decryptFlash(APP_OFFSET, ctx.image.length) : pty.chip.readFlash(APP_OFFSET, ctx.image.length);
          m = checkFlash(m, got, ctx.image, row.label);
          row[tool].push(m);
        } finally {
          await pty.close();
          fs.rmSync(env.XDG_CACHE_HOME!, { recursive: true, force: true });
        }
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return row;
}

export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a !== undefined && b !== undefined && b > 0 ? a / b : undefined;
}

// ---- QEMU ---------------------------------------------------------------------------------

const QEMU_LOCK = '/tmp/esp-qemu.lock';
const QEMU_SET = '12-esp32-idf4.1-stub-TRUE';

/** Why the QEMU section cannot run, or undefined. */
export function qemuMissing(shared: string): string | undefined {
  const q = path.join(shared, 'qemu');
  const bin = path.join(q, 'bin', 'qemu-system-xtensa');
  if (!fs.existsSync(bin)) return `${bin} not present`;
  const v = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  if (v.status !== 0)
    return `QEMU does not start (${(v.stderr || '').trim().split('\n')[0]}); install its libraries: apt-get install -y libglib2.0-0 libfdt1 libgcrypt20 libpcre2-8-0`;
  if (!fs.existsSync(path.join(shared, 'corpus', QEMU_SET, 'flasher_args.json'))) return `corpus set ${QEMU_SET} not present`;
  if (spawnSync('flock', ['--version']).status !== 0) return 'flock not installed';
  return undefined;
}

/** Hold /tmp/esp-qemu.lock (one QEMU at a time on this machine) until release() is called. */
async function holdQemuLock(log: (l: string) => void): Promise<{ release(): Promise<void> }> {
  const holder = spawn('flock', [QEMU_LOCK, 'sh', '-c', 'echo locked; read _ignored'], { stdio: ['pipe', 'pipe', 'ignore'] });
  let said = false;
  const waiting = setTimeout(() => log(`  waiting for ${QEMU_LOCK} (another QEMU is running)...`), 2000);
  await new Promise<void>((resolve, reject) => {
    holder.stdout!.on('data', (d: Buffer) => {
      if (!said && d.toString().includes('locked')) {
        said = true;
        resolve();
      }
    });
    holder.once('exit', () => reject(new Error('flock exited before taking the QEMU lock')));
  });
  clearTimeout(waiting);
  return {
    release: () =>
      new Promise<void>((resolve) => {
        holder.once('exit', () => resolve());
        holder.stdin!.end();
      }),
  };
}

interface QemuDevice {
  port: string;
  stop(): Promise<void>;
}

/** Start QEMU ESP32 in download mode on `flash`/`efuse` and bridge its UART to a pty. */
async function startQemu(shared: string, flash: string, efuse: string, dir: string, tcpPort: number): Promise<QemuDevice> {
  const script = path.join(shared, 'qemu', 'start-download.sh');
  const r = spawnSync(script, ['esp32', flash, efuse, String(tcpPort)], { encoding: 'utf8', env: { ...process.env, ...QEMU_START_ENV } });
  if (r.status !== 0) throw new Error(`start-download.sh failed: ${(r.stderr || r.stdout).trim()}`);
  const qemuPid = Number(r.stdout.trim().split('\n').pop());
  const link = path.join(dir, `tty-${tcpPort}`);
  const socat: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${link}`, `tcp:127.0.0.1:${tcpPort}`], { stdio: 'ignore' });
  for (let i = 0; i < 50 && !fs.existsSync(link); i++) await new Promise((res) => setTimeout(res, 100));
  const stop = async (): Promise<void> => {
    if (socat.exitCode === null && socat.pid) process.kill(socat.pid, 'SIGTERM');
    try {
      process.kill(qemuPid, 'SIGTERM');
    } catch {
      /* gone */
    }
    for (let i = 0; i < 50; i++) {
      try {
        process.kill(qemuPid, 0);
      } catch {
        return;
      }
      await new Promise((res) => setTimeout(res, 100));
    }
    process.kill(qemuPid, 'SIGKILL');
  };
  if (!fs.existsSync(link)) {
    await stop();
    throw new Error('socat did not create the pty for QEMU');
  }
  return { port: link, stop };
}

function corpusPairs(shared: string): { offset: number; file: string }[] {
  const dir = path.join(shared, 'corpus', QEMU_SET);
  const args = JSON.parse(fs.readFileSync(path.join(dir, 'flasher_args.json'), 'utf8')) as { flash_files: Record<string, string> };
  return Object.entries(args.flash_files).map(([off, file]) => ({ offset: Number(off), file: path.join(dir, file) }));
}

/** Section "qemu": per tool, a fresh QEMU flash of corpus 12, then (QEMU restarted on the same flash) one app sector changed. */
export async function qemuRows(ctx: CompareContext): Promise<CompareRow[]> {
  const q = path.join(ctx.shared, 'qemu');
  const stubSet = { version: 1, dir: path.join(q, 'stubs-esptool-4.12', '1') };
  const pairs = corpusPairs(ctx.shared);
  const app = pairs.reduce((a, b) => (b.offset > a.offset ? b : a));
  const dir = tmpDir('esp-bench-qemu-');
  const appBytes = new Uint8Array(fs.readFileSync(app.file));
  const changedApp = path.join(dir, 'app-changed.bin');
  fs.writeFileSync(changedApp, withSectorChanged(appBytes, Math.floor(appBytes.length / 2 / 0x1000) * 0x1000));
  const changedPairs = pairs.map((p) => (p === app ? { ...p, file: changedApp } : p));
  const fresh: CompareRow = {
    section: 'qemu',
    label: `QEMU ESP32 real ROM, corpus 12, stub set 1: fresh flash`,
    esptool: [],
    ours: [],
    goal: { text: 'ours ≤ 0.85 × esptool (whole command)', value: (r) => ratio(medianWhole(r.ours), medianWhole(r.esptool)), limit: 0.85 },
  };
  const oneSector: CompareRow = {
    section: 'qemu',
    label: 'QEMU: one app sector changed (+ SHA-256)',
    esptool: [],
    ours: [],
    goal: { text: 'ours ≤ 15 % of our fresh flash', value: (r) => ratio(medianWhole(r.ours), medianWhole(fresh.ours)), limit: 0.15 },
  };
  const lock = await holdQemuLock(ctx.log);
  let tcpPort = 5700 + (process.pid % 200);
  try {
    for (let run = 0; run < ctx.runs; run++) {
      for (const tool of order(run)) {
        ctx.log(`  qemu, run ${run + 1}/${ctx.runs}: ${tool === 'ours' ? 'ESP Flasher' : 'esptool'} — fresh, then one sector changed...`);
        const flash = path.join(dir, `flash-${tool}-${run}.bin`);
        const efuse = path.join(dir, `efuse-${tool}-${run}.bin`);
        fs.writeFileSync(flash, new Uint8Array(4 * 1024 * 1024).fill(0xff));
        fs.copyFileSync(path.join(q, 'efuse', 'efuse-esp32-eco3-mac.bin'), efuse);
        const env = oursEnv(tmpDir('esp-bench-cache-'));
        try {
          for (const [row, files] of [
            [fresh, pairs],
            [oneSector, changedPairs],
          ] as const) {
            const dev = await startQemu(ctx.shared, flash, efuse, dir, tcpPort++);
            try {
              const r = await runTool(tool, { port: dev.port, chip: 'esp32', baud: ctx.baud, files, stubSet, timeoutMs: 240_000 }, ctx.shared, env);
              row[tool].push({ ok: r.ok, wholeS: r.wholeS, stealShare: r.stealShare, ...(r.ok ? {} : { error: lastLines(r.output) }) });
            } finally {
              await dev.stop();
            }
          }
        } finally {
          fs.rmSync(env.XDG_CACHE_HOME!, { recursive: true, force: true });
        }
      }
    }
  } finally {
    await lock.release();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return [fresh, oneSector];
}

// ---- table --------------------------------------------------------------------------------

function cell(ms: Measure[], withSpan: boolean): string {
  if (!ms.length) return '—';
  const failed = ms.filter((m) => !m.ok);
  const whole = medianWhole(ms);
  if (whole === undefined) return `FAILED: ${failed[0]?.error ?? ''}`.slice(0, 120);
  let s = `${whole.toFixed(2)} s`;
  const oks = ms.filter((m) => m.ok).map((m) => m.wholeS);
  if (oks.length > 1) s += ` [${Math.min(...oks).toFixed(2)}–${Math.max(...oks).toFixed(2)}]`;
  const span = withSpan ? medianSpan(ms) : undefined;
  if (span) s += ` (write ${span.seconds.toFixed(2)} s, ${(span.wireFraction * 100).toFixed(1)} % wire)`;
  if (failed.length) s += ` [${failed.length} of ${ms.length} failed]`;
  return s;
}

/** A goal's figure as the table shows it: seconds, a share (goals under 0.5) or a ratio. */
function goalFigure(goal: NonNullable<CompareRow['goal']>, v: number | undefined, trim = false): string {
  if (v === undefined) return '?';
  const num = (x: number, digits: number) => (trim ? String(+x.toFixed(digits)) : x.toFixed(digits));
  if (goal.unit === 's') return `${num(v, 2)} s`;
  return goal.limit < 0.5 ? `${num(v * 100, 1)} %` : `${num(v, 2)}×`;
}

/** What the goal would read if ours took no more than its floor (median of its runs), and what that leaves for the rest. */
function floorLine(r: CompareRow): string[] {
  // Stub rows only: a stub works on one block while the next is on the wire, so wire + MD5 is
  // what it cannot go under; the ROM writes each block before it answers, so its floor is higher.
  const floors = r.ours.filter((m) => m.ok && m.floorS !== undefined);
  if (r.section !== 'stub' || !floors.length || !r.goal) return [];
  const floor = median(floors.map((m) => m.floorS!));
  const atFloor = r.goal.value({ ...r, ours: [{ ok: true, wholeS: floor }] });
  // The whole command the goal allows, found by scaling: the goal is linear in ours' time.
  const allowed = atFloor === undefined || atFloor <= 0 ? undefined : (floor * r.goal.limit) / atFloor;
  const rest = allowed === undefined ? '' : `; the goal allows ${allowed.toFixed(2)} s in all, ${Math.max(0, allowed - floor).toFixed(2)} s for everything else`;
  return [`  ${r.label}: floor ${floor.toFixed(2)} s, which alone reads ${goalFigure(r.goal, atFloor)} against the goal (≤ ${goalFigure(r.goal, r.goal.limit, true)})${rest}`];
}

export function formatCompareTable(rows: CompareRow[]): string[] {
  const head = ['case', 'esptool 4.12', 'ESP Flasher', 'ours/esptool', 'goal', 'met'];
  const body = rows.map((r) => {
    const spans = r.label.startsWith('fresh') || r.section === 'rom' || r.section === 'rom-enc';
    const rt = ratio(medianWhole(r.ours), medianWhole(r.esptool));
    const g = r.goal?.value(r);
    const goalText = r.goal ? `${r.goal.text}: ${goalFigure(r.goal, g)}` : '';
    const met = !r.goal || g === undefined ? '?' : g <= r.goal.limit ? 'yes' : 'no';
    return [r.label, cell(r.esptool, spans), cell(r.ours, spans), rt === undefined ? '' : `${rt.toFixed(2)}×`, goalText, met];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const lines = [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(fmt)];
  const floors = rows.flatMap((r) => floorLine(r));
  if (floors.length)
    lines.push(
      "Floors of the stub rows, from each of ours' runs on the virtual chip: the bytes of its writes at 100 % wire + the chip's own MD5 work (starting, connecting and round trips left out):",
      ...floors,
    );
  const steal = rows.flatMap((r) => [...r.esptool, ...r.ours]).flatMap((m) => (m.stealShare === undefined ? [] : [m.stealShare]));
  if (steal.length)
    lines.push(
      `CPU steal while the tools ran (time the hypervisor gave to other guests): median ${(median(steal) * 100).toFixed(1)} %, max ${(Math.max(...steal) * 100).toFixed(1)} % ` +
        '— a run with much steal is slower for reasons outside both tools; [min–max] shows the spread of the runs.',
    );
  return lines;
}
