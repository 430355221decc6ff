/**
 * The production line against the real ROM: one run flashes an ESP32-C3 in Espressif's QEMU
 * (its mask ROM's UART loader, ../shared/qemu) and a virtual chip side by side; both get their
 * own verdict and record, and QEMU's flash file holds the image byte for byte.
 * One QEMU at a time on this machine: the test holds /tmp/esp-qemu.lock (flock) while QEMU runs.
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../src/cli/main';
import { readReport } from '../../src/core/line/report_file';
import { startPtyChip, type PtyChip } from '../../src/sim/pty_chip';
import { generatedImage } from './flash_helpers';

const QEMU = path.resolve(__dirname, '../..', '../shared/qemu');
const LOCK = '/tmp/esp-qemu.lock';

function qemuUsable(): string | undefined {
  if (!fs.existsSync(path.join(QEMU, 'start-download.sh'))) return 'shared QEMU not present';
  const v = spawnSync(path.join(QEMU, 'bin', 'qemu-system-riscv32'), ['--version'], { encoding: 'utf8' });
  if (v.status !== 0) return `QEMU does not run here (${(v.stderr || v.error?.message || '').split('\n')[0]}; see ../shared/qemu/README.md for its libraries)`;
  if (spawnSync('sh', ['-c', 'command -v socat && command -v flock']).status !== 0) return 'socat or flock missing';
  return undefined;
}

/** Hold the machine-wide QEMU lock until the returned function is called. */
function takeLock(timeoutMs: number): Promise<() => void> {
  const holder = spawn('flock', [LOCK, 'sh', '-c', 'echo locked; read _'], { stdio: ['pipe', 'pipe', 'ignore'] });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      holder.kill();
      reject(new Error(`${LOCK} stayed busy for ${timeoutMs / 1000} s (another QEMU run)`));
    }, timeoutMs);
    holder.stdout!.once('data', () => {
      clearTimeout(t);
      resolve(() => holder.stdin!.end());
    });
    holder.once('exit', (code) => reject(new Error(`flock ended (code ${code})`)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(file: string, ms: number): Promise<void> {
  const t0 = Date.now();
  while (!fs.existsSync(file)) {
    if (Date.now() - t0 > ms) throw new Error(`${file} did not appear within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('production line on the real ROM (QEMU ESP32-C3) beside a virtual chip', function () {
  this.timeout(600_000);
  const why = qemuUsable();
  if (why) {
    it(`${why}: skipped`, () => undefined);
    return;
  }

  let dir: string;
  let release: (() => void) | undefined;
  let qemuPid: number | undefined;
  let socat: ChildProcess | undefined;
  let virt: PtyChip | undefined;

  after(async () => {
    socat?.kill();
    if (qemuPid) {
      try {
        process.kill(qemuPid);
      } catch {
        /* gone */
      }
    }
    await virt?.close();
    release?.();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("both flashed in one run, each with its own record; QEMU's flash holds the image", async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esp-flasher-line-qemu-'));
    const flash = path.join(dir, 'flash.bin');
    fs.writeFileSync(flash, Buffer.alloc(4 * 1024 * 1024, 0xff));
    const efuse = path.join(dir, 'efuse.bin');
    fs.copyFileSync(path.join(QEMU, 'efuse', 'efuse-esp32c3-v04-mac.bin'), efuse);
    const app = generatedImage('esp32c3', 48_000, 'line-qemu-app');
    const appFile = path.join(dir, 'app.bin');
    fs.writeFileSync(appFile, app);

    release = await takeLock(480_000);
    const tcp = await freePort();
    const started = spawnSync(path.join(QEMU, 'start-download.sh'), ['esp32c3', flash, efuse, String(tcp)], { encoding: 'utf8' });
    assert.equal(started.status, 0, `QEMU did not start: ${started.stderr}`);
    qemuPid = Number(started.stdout.trim().split('\n').pop());
    const tty = path.join(dir, 'tty');
    socat = spawn('socat', [`pty,raw,echo=0,link=${tty}`, `tcp:127.0.0.1:${tcp}`], { stdio: 'ignore' });
    await waitFor(tty, 10_000);
    virt = await startPtyChip({ chip: 'esp32c3', mac: Uint8Array.from([0x24, 0x0a, 0xc4, 0x51, 0x00, 0x01]) });

    const report = path.join(dir, 'line.jsonl');
    const out: string[] = [];
    // The C3 machine runs no stub (README); its ROM loader is reliable at 115200.
    const code = await runCli(
      [
        'flash',
        '--port',
        tty,
        '--port',
        virt.path,
        '--before',
        'no-reset',
        '--after',
        'no-reset',
        '--no-stub',
        '-b',
        '115200',
        '--chip',
        'esp32c3',
        '0x10000',
        appFile,
        '--report',
        report,
      ],
      {
        out: (l) => out.push(l),
        err: (l) => out.push(l),
      },
    );
    assert.equal(code, 0, out.join('\n'));
    // Records are appended as devices finish: order them as the ports were given.
    const records = readReport(report).sort((a, b) => (a.port === tty ? -1 : b.port === tty ? 1 : 0));
    assert.deepEqual(
      records.map((r) => [r.port, r.chip, r.result, r.segmentsWritten]),
      [
        [tty, 'esp32c3', 'ok', 1],
        [virt.path, 'esp32c3', 'ok', 1],
      ],
    );
    assert.match(records[0].mac ?? '', /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    assert.notEqual(records[0].mac, records[1].mac);
    assert.ok(Buffer.from(virt.chip.readFlash(0x10000, app.length)).equals(Buffer.from(app)));

    // QEMU writes flash back into its file; stop it, then compare.
    socat.kill();
    process.kill(qemuPid);
    qemuPid = undefined;
    await new Promise((r) => setTimeout(r, 500));
    const written = fs.readFileSync(flash).subarray(0x10000, 0x10000 + app.length);
    assert.ok(written.equals(Buffer.from(app)), 'QEMU flash does not hold the image');
  });
});
