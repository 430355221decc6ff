/**
 * The monitor on a real ROM boot of what was flashed: `esp-flasher flash` writes a real ESP32
 * build from the corpus through the real ROM loader (Espressif's QEMU from ../shared/qemu in
 * download mode, the ring's harness), then QEMU boots that flash in SPI flash boot mode with
 * UART0 on TCP; socat bridges it to a pseudo-terminal that the monitor opens with the real
 * serialport binding. Everything runs under the machine-wide QEMU lock (takeQemuLock).
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stripAnsi } from '../../src/core/monitor/log_lines';
import { SerialMonitor } from '../../src/core/monitor/monitor';
import { SHARED } from '../device/flash_helpers';
import { Screen } from '../device/monitor_helpers';
import { cli } from '../device/cli_run';
import { describeRing, freePort, QemuDownload, Workspace } from './qemu_ring';
import { QEMU_CHARDEV_NODELAY } from '../../tools/qemu/start_env';

const QEMU = path.join(SHARED, 'qemu');
const CORPUS = path.join(SHARED, 'corpus', '12-esp32-idf4.1-stub-TRUE');

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

describeRing('serial monitor on a real ROM boot (Espressif QEMU, ESP32, UART0 over TCP → socat pty)', 180_000, () => {
  let qemu: ChildProcess | undefined;
  let qemuPid: number | undefined;
  let bridge: ChildProcess | undefined;
  let monitor: SerialMonitor | undefined;
  let ws: Workspace | undefined;
  afterEach(async () => {
    await monitor?.close();
    kill(bridge);
    kill(qemu, qemuPid);
    ws?.remove();
  });

  it('esp-flasher flashes corpus 12 through the real ROM loader; the monitor shows the ROM, bootloader and app lines as that flash boots', async () => {
    ws = new Workspace('efuse-esp32-eco3-mac.bin');
    const dev = await QemuDownload.start('esp32', ws);
    try {
      const r = await cli('flash', '--port', dev.tty, '--before', 'no-reset', '--after', 'no-reset', '--no-stub', '-b', '115200', CORPUS);
      assert.equal(r.code, 0, `${r.out}\n${r.err}`);
    } finally {
      await dev.stop();
    }

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
      `file=${ws.flash},if=mtd,format=raw`,
      '-drive',
      `file=${ws.efuse},if=none,format=raw,id=efuse`,
      '-global',
      `driver=${efuseDrv},property=drive,value=efuse`,
      '-global',
      `driver=${gpioDrv},property=strap_mode,value=${strap}`,
      // wait=on: the CPU starts when the bridge connects, so the ROM banner is not missed.
      '-chardev',
      `socket,id=ser0,host=127.0.0.1,port=${tcp},server=on,wait=on,${QEMU_CHARDEV_NODELAY}`,
      '-serial',
      'chardev:ser0',
    ];
    // The QEMU lock is held by this test (beforeEach): QEMU itself runs directly.
    qemu = spawn(bin, args, { stdio: ['ignore', 'ignore', 'ignore'] });
    qemuPid = qemu.pid;
    qemu.once('exit', (c) => {
      if (c) console.log(`      QEMU exited with ${c}: see ../shared/qemu/README.md for its libraries`);
    });
    const tty = path.join(ws.dir, 'tty');
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
