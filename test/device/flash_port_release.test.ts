/**
 * Cancellation midway releases the port and reports what was and was not written; sync failure
 * and port problems give messages that say what to do.
 */
import { strict as assert } from 'node:assert';
import { SerialPort } from 'serialport';
import type { WriteSegment } from '../../src/core/flash/api';
import { readDeviceInfo } from '../../src/core/flash/device_ops';
import { flashSegments } from '../../src/core/flash/flash_job';
import { openPtyPair } from '../../src/sim/pty_link';
import { generatedImage, pseudoRandom, ptyChipsPerTest } from './flash_helpers';

describe('port release, cancellation and connection failures', function () {
  this.timeout(30_000);
  const chips = ptyChipsPerTest();

  it('cancelling midway stops, says what was and was not written, and frees the port', async () => {
    const pty = await chips.start({ chip: 'esp32c3', stub: 'current' });
    const segs: WriteSegment[] = [
      { name: 'bootloader', offset: 0x0, bytes: generatedImage('esp32c3', 16_000, 'b'), encrypt: 'off' },
      { name: 'app', offset: 0x10000, bytes: pseudoRandom(400_000, 'cancel'), encrypt: 'off' },
      { name: 'storage', offset: 0x100000, bytes: pseudoRandom(50_000, 's'), encrypt: 'off' },
    ];
    const ac = new AbortController();
    let progressSeen = 0;
    const result = await flashSegments(segs, {
      port: pty.path,
      signal: ac.signal,
      onEvent: (e) => {
        if (e.kind === 'progress' && e.name === 'app' && ++progressSeen === 3) ac.abort();
      },
    });
    assert.equal(result.ok, false);
    assert.equal(result.cancelled, true);
    assert.match(
      result.error!,
      /^Cancelled while writing segment "app" at 0x[0-9a-f]+: \d+ of 400000 bytes of segment "app" were acknowledged; the region 0x10000–0x71a80 holds partial data — flash it again\. Written: bootloader\. Not written: app, storage\.$/,
    );
    assert.deepEqual(
      result.segments.map((s) => s.status),
      ['written', 'failed', 'not-written'],
    );
    assert.deepEqual(Buffer.from(pty.chip.readFlash(0, segs[0].bytes.length)), Buffer.from(segs[0].bytes));
    assert.ok(
      pty.chip.readFlash(0x100000, 1024).every((b) => b === 0xff),
      'storage untouched',
    );
    // The port was released: it opens again at once, and the chip still answers.
    const info = await readDeviceInfo({ port: pty.path });
    assert.equal(info.chip, 'esp32c3');
  });

  it('a device that disappears mid-write: a prompt failure naming the cause, port released', async () => {
    const pty = await chips.start({ chip: 'esp32c3', stub: 'current' });
    pty.chip.faults.disconnectAtByte(60_000, 'in');
    const t0 = Date.now();
    const result = await flashSegments([{ name: 'app', offset: 0x10000, bytes: pseudoRandom(200_000, 'gone'), encrypt: 'off' }], { port: pty.path });
    assert.equal(result.ok, false);
    assert.match(result.error!, /went away|unplugged/);
    assert.match(result.error!, /of 200000 bytes of segment "app" were acknowledged/);
    assert.ok(Date.now() - t0 < 15_000);
  });

  it('a chip that never answers SYNC: a message that says what to try, within a deadline', async () => {
    const pair = await openPtyPair();
    try {
      const t0 = Date.now();
      const result = await flashSegments([{ name: 'app', offset: 0x10000, bytes: new Uint8Array(16), encrypt: 'off' }], { port: pair.hostPath, connectAttempts: 2 });
      assert.equal(result.ok, false);
      assert.match(result.error!, /Failed to connect to the chip on .*: no reply to SYNC after 2 attempt\(s\)/);
      assert.match(result.error!, /hold the BOOT button/);
      assert.match(result.error!, /dialout group/);
      assert.match(result.error!, /Written: nothing\. Not written: app\./);
      assert.ok(Date.now() - t0 < 10_000);
      // Released: the same path opens again.
      const p = new SerialPort({ path: pair.hostPath, baudRate: 115200, autoOpen: false });
      await new Promise<void>((res, rej) => p.open((e) => (e ? rej(e) : res())));
      await new Promise<void>((res) => p.close(() => res()));
    } finally {
      await pair.close();
    }
  });

  it('a busy port and a missing port are named as such', async () => {
    const pty = await chips.start({ chip: 'esp32c3' });
    const holder = new SerialPort({ path: pty.path, baudRate: 115200, autoOpen: false });
    await new Promise<void>((res, rej) => holder.open((e) => (e ? rej(e) : res())));
    try {
      await assert.rejects(readDeviceInfo({ port: pty.path }), /Serial port .* is busy: another program has it open \(a serial monitor/);
    } finally {
      await new Promise<void>((res) => holder.close(() => res()));
    }
    await assert.rejects(readDeviceInfo({ port: '/dev/ttyESPFLASHER-NOPE' }), /Serial port \/dev\/ttyESPFLASHER-NOPE not found .*Is the board plugged in/);
  });
});
