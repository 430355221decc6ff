/**
 * The real-ROM ring's harness: Espressif's QEMU from ../shared/qemu (start-download.sh), a socat
 * pseudo-terminal bridged to its TCP UART (so the product talks through the real serialport
 * binding), boot-check.sh for what was written, and /tmp/esp-qemu.lock so one QEMU runs at a
 * time on the machine (also across developers). Every wait has a deadline; every QEMU and socat
 * started here is stopped, also when a test fails.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { QEMU_START_ENV } from '../../tools/qemu/start_env';
import { LineFaultProxy, type LineFault } from './line_fault_proxy';

export const SHARED = path.resolve(__dirname, '../..', '../shared');
/** ../shared/qemu, or $ESP_QEMU_DIR (another copy of the same layout). */
export const QEMU_DIR = process.env.ESP_QEMU_DIR ? path.resolve(process.env.ESP_QEMU_DIR) : path.join(SHARED, 'qemu');
export const CORPUS = path.join(SHARED, 'corpus');
export const LOCK_FILE = '/tmp/esp-qemu.lock';
const RUNTIME_LIBS = 'apt-get install -y libglib2.0-0 libfdt1 libgcrypt20 libpcre2-8-0 socat';

export type QemuChip = 'esp32' | 'esp32c3';

/**
 * QEMU runs ahead of other processes where allowed (root; otherwise nice just warns and runs it):
 * the model's UART takes host bytes at the programmed baud whether or not its CPU thread gets to
 * run, so a starved CPU loses bytes from the full 128-byte RX FIFO (seen as ROM error 0x05 on a
 * loaded machine).
 */
const QEMU_NICE = ['-n', '-10'];

/** Why the ring cannot run here, or undefined when it can. */
export function ringUnavailable(): string | undefined {
  if (!fs.existsSync(path.join(QEMU_DIR, 'start-download.sh'))) return `${QEMU_DIR} not present`;
  if (!fs.existsSync(CORPUS)) return `${CORPUS} not present`;
  for (const bin of ['qemu-system-xtensa', 'qemu-system-riscv32']) {
    const r = spawnSync(path.join(QEMU_DIR, 'bin', bin), ['--version'], { timeout: 20_000, encoding: 'utf8' });
    if (r.status !== 0) {
      const why = (r.stderr || r.error?.message || `exit ${r.status}`).split('\n')[0];
      return `${bin} does not run here (${why}); install its runtime libraries: ${RUNTIME_LIBS}`;
    }
  }
  for (const [tool, arg] of [
    ['socat', '-V'],
    ['flock', '--version'],
  ]) {
    const r = spawnSync(tool, [arg], { timeout: 10_000 });
    if (r.error || r.status !== 0) return `${tool} is missing (${RUNTIME_LIBS.replace(' socat', '')} socat util-linux)`;
  }
  return undefined;
}

/** Hold /tmp/esp-qemu.lock (flock, the same lock developers take by hand); resolves with release(). */
export async function takeQemuLock(waitSeconds: number): Promise<() => Promise<void>> {
  const holder = spawn('flock', ['-w', String(waitSeconds), LOCK_FILE, 'sh', '-c', 'echo locked; exec cat'], { stdio: ['pipe', 'pipe', 'ignore'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    holder.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('locked')) resolve();
    });
    holder.on('exit', (code) => reject(new Error(`${LOCK_FILE} stayed taken for ${waitSeconds} s (another QEMU user; flock exit ${code}).`)));
    holder.on('error', reject);
  });
  return async () => {
    holder.stdin!.end();
    await exited(holder, 3000);
  };
}

async function exited(p: ChildProcess, ms: number): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const t = setTimeout(() => {
      p.kill('SIGKILL');
      resolve();
    }, ms);
    p.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function killPid(pid: number): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 30 && alive(pid); i++) await sleep(100);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 30 && alive(pid); i++) await sleep(100);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function run(cmd: string, args: string[], opts: { timeoutMs: number; env?: NodeJS.ProcessEnv }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: opts.timeoutMs, env: { ...process.env, ...opts.env }, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) + (err && (err as { killed?: boolean }).killed ? `\n(killed after ${opts.timeoutMs} ms)` : '') });
    });
  });
}

export const FLASH_SIZE = 4 * 1024 * 1024;

/** A per-test folder with a flash file (4 MiB of 0xFF, or given bytes) and a writable copy of an eFuse file. */
export class Workspace {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esp-qemu-ring-'));
  readonly flash = path.join(this.dir, 'flash.bin');
  readonly efuse = path.join(this.dir, 'efuse.bin');

  constructor(efuseName: string, flash?: Uint8Array) {
    fs.writeFileSync(this.flash, flash ?? Buffer.alloc(FLASH_SIZE, 0xff));
    fs.copyFileSync(path.join(QEMU_DIR, 'efuse', efuseName), this.efuse);
    fs.chmodSync(this.efuse, 0o644);
  }

  flashBytes(): Buffer {
    return fs.readFileSync(this.flash);
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The chip in UART download mode, its UART0 reachable as a pseudo-terminal at `tty`. */
export class QemuDownload {
  private constructor(
    readonly tty: string,
    private readonly qemuPid: number,
    private readonly socat: ChildProcess,
    private readonly monitor: string,
    /** The relay that damages frames, when the test asked for line faults. */
    readonly line?: LineFaultProxy,
  ) {}

  /** `lineFaults`: frames the line damages on their way to the chip (line_fault_proxy.ts). */
  static async start(chip: QemuChip, ws: Workspace, lineFaults?: LineFault[]): Promise<QemuDownload> {
    const port = await freePort();
    const monitor = path.join(ws.dir, 'monitor.sock');
    const r = await run('nice', [...QEMU_NICE, path.join(QEMU_DIR, 'start-download.sh'), chip, ws.flash, ws.efuse, String(port)], {
      timeoutMs: 20_000,
      env: { ...QEMU_START_ENV, QEMU_MONITOR: monitor },
    });
    const pid = Number(r.stdout.trim());
    if (r.code !== 0 || !Number.isInteger(pid) || pid <= 0) throw new Error(`start-download.sh ${chip} failed (exit ${r.code}): ${r.stderr.trim()}`);
    const tty = path.join(ws.dir, 'tty');
    const line = lineFaults ? await LineFaultProxy.start(port, lineFaults) : undefined;
    const socat = spawn('socat', [`pty,raw,echo=0,link=${tty}`, `tcp:127.0.0.1:${line?.port ?? port}`], { stdio: 'ignore' });
    const dev = new QemuDownload(tty, pid, socat, monitor, line);
    live.add(dev);
    for (let i = 0; i < 100 && !fs.existsSync(tty); i++) await sleep(50);
    if (!fs.existsSync(tty)) {
      await dev.stop();
      throw new Error(`socat did not create ${tty} within 5 s`);
    }
    return dev;
  }

  /** "Press RESET with BOOT held": the model re-enters the ROM's download mode (QEMU monitor). */
  async reset(): Promise<void> {
    const p = spawn('socat', ['-', `unix-connect:${this.monitor}`], { stdio: ['pipe', 'ignore', 'ignore'] });
    p.stdin!.end('system_reset\n');
    await exited(p, 3000);
  }

  /** Stop socat and QEMU and wait until QEMU is gone (so the flash file is complete). */
  async stop(): Promise<void> {
    live.delete(this);
    this.socat.kill('SIGTERM');
    await exited(this.socat, 2000);
    await this.line?.close();
    await killPid(this.qemuPid);
  }
}

/** Every device started and not yet stopped (the ring's afterEach stops them). */
const live = new Set<QemuDownload>();

export async function stopAll(): Promise<void> {
  for (const d of [...live]) await d.stop();
}

export interface BootVerdict {
  ok: boolean;
  /** The last line: "BOOT OK: …" or "BOOT FAIL: …". */
  verdict: string;
  log: string;
}

/** boot-check.sh on a copy of the files; `seconds` of wall time at most. */
export async function bootCheck(chip: QemuChip, ws: Workspace, seconds: number, okRegex?: string): Promise<BootVerdict> {
  // boot-check.sh stops GRACE seconds (default 3) after the first sign of the app starting ("Pro cpu
  // start user code"); an encrypted ESP32 app, decrypted per cache page by the model, can take
  // longer than that to print the line asked for when the machine is busy (seen once: started at
  // 43.6 s, stopped before its print). With a line to wait for, the grace is 30 s.
  const env: NodeJS.ProcessEnv = okRegex ? { OK_REGEX: okRegex, GRACE: '30' } : {};
  const r = await run('nice', [...QEMU_NICE, path.join(QEMU_DIR, 'boot-check.sh'), chip, ws.flash, ws.efuse, String(seconds)], { timeoutMs: (seconds + 60) * 1000, env });
  const lines = r.stdout.trim().split('\n');
  const verdict = lines[lines.length - 1] ?? '';
  return { ok: r.code === 0 && verdict.startsWith('BOOT OK'), verdict, log: r.stdout + r.stderr };
}

/**
 * A ring suite: skipped (and saying why) when QEMU or the corpus is missing; otherwise each test
 * holds the machine-wide QEMU lock (waiting up to `lockWaitS`), every QEMU it started is stopped
 * after it, and its duration is printed.
 */
export function describeRing(title: string, timeoutMs: number, body: () => void, lockWaitS = 900): void {
  const unavailable = ringUnavailable();
  if (unavailable) {
    describe(title, () => {
      it(`skipped: ${unavailable}`, function () {
        console.log(`      real-ROM ring skipped: ${unavailable}`);
        this.skip();
      });
    });
    return;
  }
  describe(title, function () {
    this.timeout(timeoutMs);
    let release: (() => Promise<void>) | undefined;
    let t0 = 0;
    beforeEach(async function () {
      this.timeout((lockWaitS + 10) * 1000);
      release = await takeQemuLock(lockWaitS);
      t0 = Date.now();
    });
    body();
    // After the body's own afterEach hooks (mocha runs a suite's hooks in the order they were
    // added): what a test started itself is stopped before QEMU is, and the lock goes last.
    afterEach(async () => {
      await stopAll();
      await release?.();
      release = undefined;
      console.log(`      (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    });
  });
}
