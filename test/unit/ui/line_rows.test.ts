import assert from 'node:assert/strict';
import type { DeviceRecord } from '../../../src/core/line/device_record';
import { lineHeadline, lineRows, shortReason } from '../../../src/ui/line_rows';
import { LineState } from '../../../src/ui/line_state';

const record = (port: string, extra: Partial<DeviceRecord>): DeviceRecord => ({
  time: '2026-12-07T08:00:00.000Z',
  port,
  segmentsWritten: 0,
  segmentsSkipped: 0,
  bytesSent: 0,
  seconds: 0,
  result: 'failed',
  outcome: 'failed',
  ...extra,
});

describe('ui/line_rows (Flash All in the Device view)', () => {
  it('a row per device from the line events: waiting, connecting, percent of the whole plan while writing', () => {
    const state = new LineState();
    const urgent: boolean[] = [];
    state.onChange((u) => urgent.push(u));
    const run = state.start('Flash All', ['A', 'B'], 2000);
    run.event('A', { kind: 'connecting', port: 'A', attempt: 1, strategy: 'classic' });
    run.event('A', { kind: 'chip', chip: 'esp32s3', description: 'ESP32-S3' });
    run.event('A', { kind: 'plan', totalBytes: 2000, segments: 2 });
    run.event('A', { kind: 'segment-start', index: 0, name: 'bootloader', offset: 0, size: 1000, method: 'stub' });
    run.event('A', { kind: 'progress', index: 0, name: 'bootloader', written: 500, total: 1000, sent: 400, kbitPerSecond: 800 });
    let [a, b] = lineRows(run);
    assert.equal(b.state, 'waiting');
    assert.equal(b.description, 'waiting');
    assert.equal(a.state, 'running');
    assert.equal(a.percent, 25);
    assert.equal(a.description, '25% · writing bootloader');
    assert.equal(a.icon, 'sync~spin');
    assert.equal(urgent.at(-1), false, 'a progress tick is not urgent');
    assert.ok(urgent.includes(true));
    assert.equal(lineHeadline(run), 'Flash All on 2 devices: 12%, 0 of 2 done.');

    run.event('B', { kind: 'connecting', port: 'B', attempt: 2, strategy: 'classic' });
    [a, b] = lineRows(run);
    assert.equal(b.description, 'connecting (attempt 2)');
  });

  it('final rows: ok with seconds and MAC; refused and failed with the reason; a busy port not started', () => {
    const state = new LineState();
    const run = state.start('Flash All (Encrypted)', ['A', 'B', 'C', 'D', 'E'], 1000);
    run.record(record('A', { result: 'ok', outcome: 'ok', seconds: 3.14, mac: '24:0a:c4:10:00:01', segmentsWritten: 3, bytesSent: 12345, chip: 'esp32s3' }));
    const noKey = 'No key for device 24:0a:c4:10:00:02 in /keys: expected /keys/240ac4100002.bin. Put this device’s key file there.';
    run.record(record('B', { outcome: 'refused', error: noKey, failedSegment: 'app', failedOffset: '0x10000', mac: '24:0a:c4:10:00:02', seconds: 0.4 }));
    run.result('E', {
      ok: false,
      segments: [],
      seconds: 0.3,
      wireBytesOut: 0,
      wireBytesIn: 0,
      refusals: [
        {
          code: 'device-chip',
          segment: 'bootloader',
          offset: 0,
          overridable: false,
          reason: 'This device is ESP32-C3, but the line flashes ESP32-S3.',
          advice: 'Put it on a line for its chip.',
          message: '',
        },
      ],
    });
    run.record(
      record('E', { outcome: 'refused', error: 'Nothing was written. This device is ESP32-C3, but the line flashes ESP32-S3. Put it on a line for its chip.', seconds: 0.3 }),
    );
    run.record(record('C', { outcome: 'failed', error: 'The port went away (unplugged?).', failedSegment: 'app', failedOffset: '0x12000', seconds: 1.2 }));
    run.refuseStart('D', 'D is busy: "Flash" is still running there.');
    run.finish(3.5, false);
    const [a, b, c, d, e] = lineRows(run);
    assert.equal(a.state, 'ok');
    assert.equal(a.description, 'ok · 3.1 s · 24:0a:c4:10:00:01');
    assert.equal(a.percent, 100);
    assert.deepEqual(
      a.details.map((x) => `${x.label}: ${x.value}`),
      ['Result: ok in 3.1 s', 'Chip: esp32s3', 'MAC: 24:0a:c4:10:00:01', 'Segments: 3 written, 0 skipped', 'Bytes sent: 12345'],
    );
    assert.equal(b.state, 'refused');
    assert.equal(b.reason, noKey);
    assert.match(b.description, /^refused · No key for device 24:0a:c4:10:00:02 in \/keys: expected \/keys\/240ac4100002\.bin\. · 0\.4 s$/);
    assert.ok(b.details.some((x) => x.label === 'Where' && x.value === 'app at 0x10000'));
    assert.equal(c.state, 'failed');
    assert.match(c.description, /^FAILED · The port went away \(unplugged\?\)\./);
    assert.equal(d.state, 'busy');
    assert.match(d.description, /^not started · D is busy/);
    // A refusal the job returned typed: its own reason on the row and its advice underneath, not the record's error line.
    assert.equal(e.state, 'refused');
    assert.equal(e.overridable, undefined, 'a wrong chip cannot be overridden');
    assert.equal(e.description, 'refused · This device is ESP32-C3, but the line flashes ESP32-S3. · 0.3 s');
    assert.deepEqual(
      e.details.slice(1, 3).map((x) => `${x.label}: ${x.value}`),
      ['Refused: This device is ESP32-C3, but the line flashes ESP32-S3.', 'What to do: Put it on a line for its chip.'],
    );
    assert.equal(lineHeadline(run), 'Flash All (Encrypted): 1 of 5 devices flashed, 4 not in 3.5 s.');
    assert.deepEqual(run.notFlashed, ['B', 'C', 'D', 'E'], 'Retry Failed runs every device not flashed, the busy one too');
  });

  it('says when the run was cancelled', () => {
    const run = new LineState().start('Flash All', ['A'], 10);
    run.record(record('A', { outcome: 'cancelled', error: 'Cancelled.' }));
    run.finish(1, true);
    assert.equal(lineRows(run)[0].state, 'cancelled');
    assert.equal(lineHeadline(run), 'Flash All (cancelled): 0 of 1 device flashed, 1 not in 1.0 s.');
  });

  it('cuts a reason to its first sentence', () => {
    assert.equal(shortReason('First part. Second part.'), 'First part.');
    assert.equal(shortReason('x'.repeat(200), 20).length, 20);
  });
});
