/**
 * The monitor on a real ROM boot: Espressif's QEMU (../shared/qemu) boots a real ESP32 build from
 * the corpus in SPI flash boot mode with UART0 on TCP; socat bridges it to a pseudo-terminal that
 * the monitor opens with the real serialport binding. QEMU runs under the machine-wide QEMU lock.
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stripAnsi } from '../../src/core/monitor/log_lines';
import { SerialMonitor } from '../../src/core/monitor/monitor';
import { readProject } from '../../src/core/project/read_project';
import { SHARED } from '../device/flash_helpers';
import { Screen } from '../device/monitor_helpers';
import { freePort } from './qemu_ring';

const QEMU = path.join(SHARED, 'qemu');
const CORPUS = path.join(SHARED, 'corpus', '12-esp32-idf4.1-stub-TRUE');

function qemuRuns(): boolean {
  return fs.existsSync(CORPUS) && spawnSync(path.join(QEMU, 'bin', 'qemu-system-xtensa'), ['--version'], { stdio: 'ignore' }).status === 0;
}

function kill(p: ChildProcess | undefined, pid?: number): void {
  for (const id of [pid, p?.pid]) {
    if (!id) continue;
    try {
      process.kill(id, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
}

describe('serial monitor on a real ROM boot (Espressif QEMU, ESP32, UART0 over TCP → socat pty)', function () {
  this.timeout(180_000);
  if (!qemuRuns() || spawnSync('socat', ['-V'], { stdio: 'ignore' }).status !== 0) {
    it('QEMU, its libraries, socat or the shared corpus missing: skipped', () =>
      console.log('      ../shared/qemu not runnable (apt-get install libglib2.0-0 libfdt1 libgcrypt20 libpcre2-8-0 socat) or corpus absent: skipped'));
    return;
  }
  let qemu: ChildProcess | undefined;
  let qemuPid: number | undefined;
  let bridge: ChildProcess | undefined;
  let monitor: SerialMonitor | undefined;
  let dir: string;
  afterEach(async () => {
    await monitor?.close();
    kill(bridge);
    kill(qemu, qemuPid);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shows the ROM, bootloader and app lines of corpus 12 as it boots', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'monitor-qemu-'));
    const flash = Buffer.alloc(4 * 1024 * 1024, 0xff);
    for (const s of (await readProject(CORPUS)).plan.segments) Buffer.from(s.bytes).copy(flash, s.offset);
    fs.writeFileSync(path.join(dir, 'flash.bin'), flash);
    fs.copyFileSync(path.join(QEMU, 'efuse', 'efuse-esp32-eco3-mac.bin'), path.join(dir, 'efuse.bin'));
    const tcp = await freePort();
    const vars = spawnSync('bash', [
      '-c',
      '. "$1/common.sh"; qemu_resolve esp32; printf "%s\\n" "$QEMU_BIN" "$QEMU_MACHINE_ARGS" "$QEMU_ROMS" "$QEMU_EFUSE_DRV" "$QEMU_GPIO_DRV" "$QEMU_SPI_STRAP"',
      '_',
      QEMU,
    ])
      .stdout.toString()
      .trim()
      .split('\n');
    const [bin, machine, roms, efuseDrv, gpioDrv, strap] = vars;
    const args = [
      ...machine.split(' '),
      '-L',
      roms,
      '-display',
      'none',
      '-monitor',
      'none',
      '-drive',
      `file=${path.join(dir, 'flash.bin')},if=mtd,format=raw`,
      '-drive',
      `file=${path.join(dir, 'efuse.bin')},if=none,format=raw,id=efuse`,
      '-global',
      `driver=${efuseDrv},property=drive,value=efuse`,
      '-global',
      `driver=${gpioDrv},property=strap_mode,value=${strap}`,
      // wait=on: the CPU starts when the bridge connects, so the ROM banner is not missed.
      '-chardev',
      `socket,id=ser0,host=127.0.0.1,port=${tcp},server=on,wait=on`,
      '-serial',
      'chardev:ser0',
    ];
    // One QEMU at a time on this machine: hold the lock while it runs (sh prints the pid that exec makes QEMU).
    qemu = spawn('flock', ['-w', '120', '/tmp/esp-qemu.lock', 'sh', '-c', 'echo $$; exec "$0" "$@"', bin, ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
    qemuPid = await new Promise<number>((resolve, reject) => {
      qemu!.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      qemu!.once('exit', (c) =>
        reject(new Error(`QEMU did not start (exit ${c}): ${c === 1 ? 'another QEMU held /tmp/esp-qemu.lock for 120 s' : 'see ../shared/qemu/README.md for its libraries'}`)),
      );
    });
    const tty = path.join(dir, 'tty');
    // wait-slave: socat connects (and QEMU starts) only once the monitor has opened the pty.
    bridge = spawn('socat', [`pty,raw,echo=0,link=${tty},wait-slave`, `tcp:127.0.0.1:${tcp},retry=600,interval=0.1`], { stdio: 'ignore' });
    for (let i = 0; i < 600 && !fs.existsSync(tty); i++) await new Promise((r) => setTimeout(r, 100));
    const screen = new Screen();
    monitor = await SerialMonitor.open({ port: tty, ...screen.opts });
    await screen.waitFor((t) => /Calling app_main\(\)|Starting scheduler/.test(t), 'the app to start on the real ROM', 120_000);
    const text = stripAnsi(screen.text); // the app colours its own log lines
    assert.match(text, /no DTR\/RTS lines: not reset/);
    assert.match(text, /^ets \w{3} {1,2}\d{1,2} \d{4} /m, `the ESP32 ROM banner:\n${text.slice(0, 1500)}`);
    assert.match(text, /^rst:0x1 \(POWERON_RESET\),boot:0x12 \(SPI_FAST_FLASH_BOOT\)$/m);
    assert.match(text, /^I \(\d+\) boot: ESP-IDF v4\.1.* 2nd stage bootloader$/m, 'the 2nd-stage bootloader');
    assert.match(text, /^I \(\d+\) cpu_start: Pro cpu start user code$/m, 'the app');
    // Every line the monitor split is one the chip sent (no torn lines): each log line is whole.
    for (const l of screen.lines) if (/^(\x1b\[0;3\dm)?[EWI] \(/.test(l.text)) assert.match(stripAnsi(l.text), /^[EWI] \(\d+\) [^:]+: /, l.text);
  });
});
