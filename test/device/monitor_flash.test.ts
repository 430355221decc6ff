import { strict as assert } from 'node:assert';
import { readDeviceInfo } from '../../src/core/flash/device_ops';
import { flashSegments } from '../../src/core/flash/flash_job';
import { SerialMonitor } from '../../src/core/monitor/monitor';
import { openTransport } from '../../src/core/transport/open_port';
import { heldPorts, PortBusyError } from '../../src/core/transport/port_owners';
import { bootText } from '../../src/sim/app_firmware';
import { startPtyChip } from '../../src/sim/pty_chip';
import type { VirtualChip } from '../../src/sim/virtual_chip';
import { bootableSegments, Screen, ticks } from './monitor_helpers';
import { socatMissing } from './flash_helpers';

describe('serial monitor and flasher share one port (virtual chip, real serialport on a pty)', function () {
  this.timeout(60000);
  if (socatMissing('monitor device tests')) return;
  let monitor: SerialMonitor | undefined;
  afterEach(async () => {
    await monitor?.close();
    monitor = undefined;
    assert.deepEqual(heldPorts(), [], 'every port released');
  });

  it('resets into the app on open, pauses for a flash in the same process, resumes with every line of the new firmware', async () => {
    const port = 'virtual:esp32c3:resetlines:ticks=15';
    const screen = new Screen();
    monitor = await SerialMonitor.open({ port, ...screen.opts });
    // Empty flash: the reset into the app shows the ROM saying so.
    await screen.waitFor((t) => /invalid header: 0xffffffff/.test(t), 'the boot log of an empty flash');
    const firstSegments = bootableSegments('esp32c3', { seed: 'first' });
    let chip: VirtualChip | undefined;
    const r1 = await flashSegments(firstSegments, { port, onVirtualChip: (c) => (chip = c as VirtualChip) });
    assert.equal(r1.ok, true, r1.error);
    assert.ok(chip, "the flash job reached the monitor's own virtual chip");
    await screen.waitFor((t) => /app: tick 5\b/.test(t), 'ticks of the first firmware');
    assert.match(screen.text, /--- Paused: a flash job is using virtual:esp32c3/);
    assert.match(screen.text, /--- Resumed after a flash job/);

    // Second flash while ticks run: everything the new firmware prints after its reset is shown.
    const mark = screen.lines.length;
    const second = bootableSegments('esp32c3', { seed: 'second' });
    const r2 = await flashSegments(second, { port });
    assert.equal(r2.ok, true, r2.error);
    await screen.waitFor((t) => /Resumed after a flash job[\s\S]*Resumed after a flash job[\s\S]*app: tick 8\b/.test(t), 'ticks of the second firmware');
    const after = screen.lines.slice(mark).map((l) => l.text);
    const bootStart = after.lastIndexOf('ESP-ROM:esp32c3 (virtual chip)');
    assert.ok(bootStart >= 0, "the new firmware's ROM line is shown");
    const expected = bootText(chip!.chip, { read: (o, n) => chip!.readFlash(o, n) }, 'rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)')
      .text.split('\r\n')
      .filter(Boolean);
    assert.deepEqual(after.slice(bootStart, bootStart + expected.length), expected, 'every boot line, in order, none lost');
    const t = ticks(screen.lines.slice(mark + bootStart));
    assert.deepEqual(t.slice(0, 9), [0, 1, 2, 3, 4, 5, 6, 7, 8], 'ticks from 0 without a gap');
    // Before the pause, the first firmware's ticks had no gap either.
    const firstTicks = ticks(screen.lines.slice(0, mark));
    assert.deepEqual(
      firstTicks,
      firstTicks.map((_, i) => i),
    );
  });

  it('any job on the monitored port borrows it: Read Device Info pauses the monitor, reads the chip, hands the port back; the monitor keeps showing the chip', async () => {
    const port = 'virtual:esp32c3:resetlines:ticks=20';
    const screen = new Screen();
    monitor = await SerialMonitor.open({ port, ...screen.opts });
    await flashSegments(bootableSegments('esp32c3'), { port });
    await screen.waitFor((t) => /app: tick 2\b/.test(t), 'the app ticking');
    const info = await readDeviceInfo({ port, after: 'hard-reset' });
    assert.equal(info.chip, 'esp32c3');
    assert.equal(monitor.state, 'running');
    const mark = screen.lines.length;
    await screen.waitFor(() => ticks(screen.lines, mark).length >= 3, 'ticks after the job');
    assert.match(
      screen.text,
      /--- Paused: a flash job is using virtual:esp32c3[^\n]*\n[\s\S]*--- Resumed after a flash job\.\n[\s\S]*--- Paused: [^\n]*\n[\s\S]*--- Resumed after/,
    );
    assert.deepEqual(ticks(screen.lines, mark).slice(0, 3), [0, 1, 2], "the app restarted by the job's reset, every tick shown");
  });

  it('a second opener of a monitored port gets a message naming who holds it', async () => {
    const port = 'virtual:esp32:resetlines';
    const screen = new Screen();
    monitor = await SerialMonitor.open({ port, ...screen.opts });
    await assert.rejects(
      SerialMonitor.open({ port, ...new Screen().opts }),
      (e: unknown) => e instanceof PortBusyError && /busy: the serial monitor in this program holds it/.test((e as Error).message),
    );
    // A flash job holding a device path refuses the monitor the same way.
    const pty = await startPtyChip({ chip: 'esp32s3' });
    const held = await openTransport(pty.path);
    try {
      await assert.rejects(SerialMonitor.open({ port: pty.path, ...new Screen().opts }), /busy: a flash job in this program holds it/);
    } finally {
      await held.close();
      await pty.close();
    }
  });

  it('a port without DTR/RTS is monitored without a reset and says so', async () => {
    const screen = new Screen();
    monitor = await SerialMonitor.open({ port: 'virtual:esp32c3', ...screen.opts });
    await screen.waitFor((t) => /no DTR\/RTS lines: not reset/.test(t), 'the no-reset note');
  });
});
