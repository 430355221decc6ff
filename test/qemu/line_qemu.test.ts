/**
 * The production line against the real ROM: one run flashes an ESP32-C3 in Espressif's QEMU
 * (its mask ROM's UART loader, ../shared/qemu) and a virtual chip side by side; both get their
 * own verdict and record, and QEMU's flash file holds the image byte for byte.
 * Uses the ring's harness (qemu_ring.ts): availability check, lock, QEMU in download mode.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readReport } from '../../src/core/line/report_file';
import { startPtyChip, type PtyChip } from '../../src/sim/pty_chip';
import { cli } from '../device/cli_run';
import { generatedImage } from '../device/flash_helpers';
import { QemuDownload, Workspace, describeRing } from './qemu_ring';

describeRing('production line on the real ROM (QEMU ESP32-C3) beside a virtual chip', 120_000, () => {
  let ws: Workspace | undefined;
  let virt: PtyChip | undefined;

  afterEach(async () => {
    await virt?.close();
    ws?.remove();
  });

  it("both flashed in one run, each with its own record; QEMU's flash holds the image", async () => {
    ws = new Workspace('efuse-esp32c3-v04-mac.bin');
    const app = generatedImage('esp32c3', 48_000, 'line-qemu-app');
    const appFile = path.join(ws.dir, 'app.bin');
    fs.writeFileSync(appFile, app);

    const qemu = await QemuDownload.start('esp32c3', ws);
    virt = await startPtyChip({ chip: 'esp32c3', mac: Uint8Array.from([0x24, 0x0a, 0xc4, 0x51, 0x00, 0x01]) });

    const report = path.join(ws.dir, 'line.jsonl');
    // The C3 machine runs no stub (../shared/qemu/README.md); its ROM loader is reliable at 115200.
    const r = await cli(
      ...['flash', '--port', qemu.tty, '--port', virt.path, '--before', 'no-reset', '--after', 'no-reset', '--no-stub', '-b', '115200'],
      ...['--chip', 'esp32c3', '0x10000', appFile, '--report', report],
    );
    assert.equal(r.code, 0, `${r.out}\n${r.err}`);
    // Records are appended as devices finish: order them as the ports were given.
    const records = readReport(report).sort((a, b) => (a.port === qemu.tty ? -1 : b.port === qemu.tty ? 1 : 0));
    assert.deepEqual(
      records.map((x) => [x.port, x.chip, x.result, x.segmentsWritten]),
      [
        [qemu.tty, 'esp32c3', 'ok', 1],
        [virt.path, 'esp32c3', 'ok', 1],
      ],
    );
    assert.match(records[0].mac ?? '', /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    assert.notEqual(records[0].mac, records[1].mac);
    assert.ok(Buffer.from(virt.chip.readFlash(0x10000, app.length)).equals(Buffer.from(app)));

    // QEMU writes flash back into its file: stop it (stop() waits until it is gone), then compare.
    await qemu.stop();
    const written = ws.flashBytes().subarray(0x10000, 0x10000 + app.length);
    assert.ok(written.equals(Buffer.from(app)), 'QEMU flash does not hold the image');
  });
});
