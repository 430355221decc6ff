import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { flashSegments } from '../../src/core/flash/flash_job';
import { SerialMonitor } from '../../src/core/monitor/monitor';
import { heldPorts } from '../../src/core/transport/port_owners';
import { startPtyChip, type PtyChip } from '../../src/sim/pty_chip';
import { bootableSegments, Screen, ticks } from './monitor_helpers';
import { socatMissing } from './flash_helpers';

describe('serial monitor follows the device when it goes away and comes back (virtual chip on a pty)', function () {
  this.timeout(60000);
  if (socatMissing('monitor reconnect tests')) return;
  let monitor: SerialMonitor | undefined;
  let pty: PtyChip | undefined;
  afterEach(async () => {
    await monitor?.close();
    await pty?.close();
    monitor = undefined;
    pty = undefined;
    assert.deepEqual(heldPorts(), []);
  });

  it('unplug: says it waits; replug at a new path: reopens the same device (by USB identity) and keeps showing lines', async () => {
    pty = await startPtyChip({ chip: 'esp32s3', resetLines: true, tickMs: 10 });
    for (const s of bootableSegments('esp32s3')) pty.chip.preloadFlash(s.offset, s.bytes);
    const firstPath = pty.path;
    const screen = new Screen();
    const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'monitor-log-')), 'monitor.log');
    monitor = await SerialMonitor.open({ port: firstPath, reconnectPollMs: 50, logFile: log, ...screen.opts });
    await screen.waitFor((t) => /app: tick 3\b/.test(t), 'ticks');
    await pty.unplug();
    await screen.waitFor((t) => /went away .*Waiting for the same device to come back/.test(t), 'the waiting note');
    assert.equal(monitor.state, 'waiting');
    // Another device (different serial number) appearing is not taken for ours.
    const other = await startPtyChip({ chip: 'esp32s3', resetLines: true, mac: Uint8Array.from([1, 2, 3, 4, 5, 6]) });
    try {
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(monitor.state, 'waiting');
    } finally {
      await other.close();
    }
    const mark = screen.lines.length;
    await pty.replug();
    assert.notEqual(pty.path, firstPath, 'the device came back at a new path');
    await screen.waitFor((t) => /Reconnected to .*serial 240ac4.*\(new path\)/.test(t), 'the reconnect note');
    assert.equal(monitor.portPath, pty.path);
    // The chip kept running: what it printed while unplugged waits in the new pty until the
    // monitor opens it, so the ticks after the replug follow each other without a gap (only
    // bytes on the wire at the moment of the unplug may be cut, as with a real cable).
    await screen.waitFor(() => ticks(screen.lines, mark).length > 5, 'ticks after the replug');
    const before = ticks(screen.lines.slice(0, mark));
    const after = ticks(screen.lines, mark);
    assert.deepEqual(
      before,
      before.map((_, i) => i),
      'ticks before the unplug without a gap',
    );
    assert.deepEqual(
      after,
      after.map((_, i) => after[0] + i),
      'ticks after the replug without a gap',
    );
    assert.ok(after[0] > before[before.length - 1], 'the same running chip, not a restart');
    await monitor.close();
    const logged = fs.readFileSync(log, 'utf8');
    assert.match(logged, /Waiting for the same device/);
    assert.match(logged, /app: tick 3\n/);
  });

  it('USB-Serial/JTAG: flash --monitor style: the hard reset re-enumerates the port and the monitor comes back to the new firmware', async () => {
    const port = 'virtual:esp32c3:resetlines:usbjtag:ticks=20';
    const screen = new Screen();
    monitor = await SerialMonitor.open({ port, reconnectPollMs: 50, ...screen.opts });
    await screen.waitFor((t) => /Reconnected to .*USB 303a:1001/.test(t), 'the re-enumeration after the reset into the app');
    assert.match(screen.text, /--- Reset the chip into its app \(USB-Serial\/JTAG\)\./, 'the USB-Serial/JTAG reset sequence, not the bridge one');
    const r = await flashSegments(bootableSegments('esp32c3'), { port });
    assert.equal(r.ok, true, r.error);
    await screen.waitFor((t) => /Resumed after a flash job[\s\S]*Reconnected[\s\S]*app: tick 2\b/.test(t), 'the new firmware after re-enumeration');
    assert.match(screen.text, /Calling app_main\(\)/);
  });
});
