/**
 * Running flashing tools as separate programs against one device path, for `npm run bench`:
 * ESP Flasher (the bundled CLI, dist/cli.js, as users run it) and esptool 4.12 from
 * ../shared/peers (Debian's python3 + python3-serial). Both get the same port, baud, chip and
 * offset/file pairs, and are timed from spawn to exit ("whole command"). The write span and the
 * wire use while writing come from the virtual chip's own trace, the same way for both tools.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TraceEvent } from '../../src/sim/virtual_chip';

export type Tool = 'esptool' | 'ours';

export interface ToolJob {
  port: string;
  chip: string;
  baud: number;
  /** Offset/file pairs. */
  files: { offset: number; file: string }[];
  rom?: boolean;
  /** Device-side encryption (development mode). */
  encrypt?: boolean;
  /** Stub set both tools use (QEMU ESP32: set 1): esptool --stub-version N, ours --stub-dir DIR. */
  stubSet?: { version: number; dir: string };
  timeoutMs?: number;
}

export interface ToolRun {
  tool: Tool;
  ok: boolean;
  /** Spawn to exit. */
  wholeS: number;
  code: number | null;
  output: string;
  /** Share of this machine's CPU time the hypervisor gave to others while the tool ran (Linux /proc/stat "steal"); undefined elsewhere. */
  stealShare?: number;
}

/** Total and steal jiffies of all CPUs (/proc/stat), or undefined where there is none. */
function cpuJiffies(): { total: number; steal: number } | undefined {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
    if (v.length < 8 || v.some((x) => !Number.isFinite(x))) return undefined;
    return { total: v.reduce((a, b) => a + b, 0), steal: v[7] };
  } catch {
    return undefined;
  }
}

/** Steal share between two readings (undefined when either is missing or no time passed). */
function stealBetween(a: ReturnType<typeof cpuJiffies>, b: ReturnType<typeof cpuJiffies>): number | undefined {
  if (!a || !b || b.total <= a.total) return undefined;
  return (b.steal - a.steal) / (b.total - a.total);
}

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const DEBIAN_PYTHON = '/usr/bin/python3';

export function esptoolDir(shared: string): string {
  return path.join(shared, 'peers', 'esptool-4.12.0');
}

/** Why esptool cannot run here, or undefined when it can. */
export function esptoolMissing(shared: string): string | undefined {
  const script = path.join(esptoolDir(shared), 'esptool.py');
  if (!fs.existsSync(script)) return `${script} not present`;
  if (!fs.existsSync(DEBIAN_PYTHON)) return `${DEBIAN_PYTHON} not present`;
  const r = spawnSync(DEBIAN_PYTHON, ['-c', 'import serial, cryptography, ecdsa, bitstring, intelhex'], { encoding: 'utf8' });
  if (r.status !== 0) {
    return "Debian python3 lacks esptool's modules (apt-get install -y python3-serial python3-cryptography python3-ecdsa python3-bitstring python3-intelhex python3-yaml)";
  }
  return undefined;
}

/** Bundle the CLI (dist/cli.js) so the bench runs what users run, not a TypeScript loader. */
export function buildCli(): void {
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build.mjs')], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run build failed: ${r.stderr || r.stdout}`);
}

const hex = (n: number) => `0x${n.toString(16)}`;

export function toolCommand(tool: Tool, j: ToolJob, shared: string): string[] {
  const pairs = j.files.flatMap((f) => [hex(f.offset), f.file]);
  if (tool === 'esptool') {
    return [
      DEBIAN_PYTHON,
      path.join(esptoolDir(shared), 'esptool.py'),
      '--chip',
      j.chip,
      '--port',
      j.port,
      '--before',
      'no_reset',
      '--after',
      'no_reset',
      '-b',
      String(j.baud),
      ...(j.rom ? ['--no-stub'] : []),
      ...(j.stubSet && !j.rom ? ['--stub-version', String(j.stubSet.version)] : []),
      'write_flash',
      // esptool never compresses encrypted writes; otherwise it gets compression (its default
      // with the stub, asked for explicitly in ROM mode).
      ...(j.encrypt ? ['--encrypt'] : ['-z']),
      ...pairs,
    ];
  }
  return [
    process.execPath,
    path.join(REPO_ROOT, 'dist', 'cli.js'),
    'flash',
    '--port',
    j.port,
    '--chip',
    j.chip,
    '--before',
    'no-reset',
    '--after',
    'no-reset',
    '-b',
    String(j.baud),
    ...(j.rom ? ['--no-stub'] : []),
    ...(j.stubSet && !j.rom ? ['--stub-dir', j.stubSet.dir] : []),
    ...(j.encrypt ? ['--encrypt-files', ...pairs] : pairs),
  ];
}

/** Run one tool to its end (killed after the deadline); never throws for the tool's failure. */
export function runTool(tool: Tool, j: ToolJob, shared: string, env: NodeJS.ProcessEnv = process.env): Promise<ToolRun> {
  const [cmd, ...args] = toolCommand(tool, j, shared);
  const started = performance.now();
  const cpuAtStart = cpuJiffies();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      output += `\n(bench: killed after ${(j.timeoutMs ?? 180_000) / 1000} s)`;
      if (child.pid) process.kill(child.pid, 'SIGKILL');
    }, j.timeoutMs ?? 180_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      resolve({ tool, ok: false, wholeS: 0, code: null, output: `${output}\n${e.message}` });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ tool, ok: code === 0, wholeS: (performance.now() - started) / 1000, code, output, stealShare: stealBetween(cpuAtStart, cpuJiffies()) });
    });
  });
}

const BEGIN_OPS = new Set([0x02, 0x10]);
const DATA_OPS = new Set([0x03, 0x11, 0xd4]);
const END_OPS = new Set([0x04, 0x12]);

export interface WriteSpan {
  seconds: number;
  /** Host → chip bytes that arrived during the span. */
  wireBytes: number;
  /** wireBytes / seconds / (baud / 10). */
  wireFraction: number;
  dataBlocks: number;
}

/**
 * The write span in a chip trace: from the BEGIN that precedes the first data block to the reply
 * of the last data block (or of the END right after it). Undefined when nothing was written.
 */
export function writeSpan(trace: TraceEvent[], baud: number): WriteSpan | undefined {
  const first = trace.findIndex((e) => e.op !== undefined && DATA_OPS.has(e.op));
  if (first < 0) return undefined;
  let begin = first;
  while (begin > 0 && !(trace[begin].op !== undefined && BEGIN_OPS.has(trace[begin].op!))) begin--;
  let last = first;
  for (let i = first; i < trace.length; i++) if (trace[i].op !== undefined && DATA_OPS.has(trace[i].op!)) last = i;
  if (last + 1 < trace.length && trace[last + 1].op !== undefined && END_OPS.has(trace[last + 1].op!)) last++;
  const startBytes = begin > 0 ? trace[begin - 1].bytesIn : 0;
  const seconds = (trace[last].repliedAt - trace[begin].takenAt) / 1000;
  const wireBytes = trace[last].bytesIn - startBytes;
  const dataBlocks = trace.slice(begin, last + 1).filter((e) => e.op !== undefined && DATA_OPS.has(e.op)).length;
  return { seconds, wireBytes, wireFraction: seconds > 0 ? wireBytes / seconds / (baud / 10) : 0, dataBlocks };
}
