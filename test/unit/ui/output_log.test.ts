import assert from 'node:assert/strict';
import type { FlashEvent } from '../../../src/core/flash/events';
import { FlashLogFormatter, formatSize, hex8, resultSummaryLines, writeLines } from '../../../src/ui/output_log';

describe('ui/output_log', () => {
  it('renders a job as esptool-like lines, one progress line per 10 % step', () => {
    const f = new FlashLogFormatter();
    const events: FlashEvent[] = [
      { kind: 'connecting', port: '/dev/ttyUSB0', attempt: 1, strategy: 'classic reset' },
      { kind: 'connected', port: '/dev/ttyUSB0' },
      { kind: 'chip', chip: 'esp32c3', description: 'ESP32-C3 (revision v0.4)' },
      { kind: 'stub', running: true, detail: 'esp32c3.json' },
      { kind: 'baud', baud: 460800 },
      { kind: 'plan', totalBytes: 20000, segments: 2 },
      { kind: 'segment-start', index: 0, name: 'bootloader', offset: 0, size: 20000, method: 'compressed' },
      { kind: 'progress', index: 0, name: 'bootloader', written: 1000, total: 20000, sent: 600, kbitPerSecond: 100 },
      { kind: 'progress', index: 0, name: 'bootloader', written: 2000, total: 20000, sent: 1200, kbitPerSecond: 200 },
      { kind: 'progress', index: 0, name: 'bootloader', written: 2500, total: 20000, sent: 1500, kbitPerSecond: 210 },
      { kind: 'progress', index: 0, name: 'bootloader', written: 20000, total: 20000, sent: 9000, kbitPerSecond: 400.04 },
      { kind: 'verified', index: 0, name: 'bootloader', md5: 'abc' },
      { kind: 'segment-done', index: 0, name: 'bootloader', bytes: 20000, sentBytes: 9000, seconds: 0.4, kbitPerSecond: 400 },
      { kind: 'skipped', index: 1, name: 'app', reason: 'flash already holds it' },
      { kind: 'reset', how: 'hard reset via RTS' },
      { kind: 'done', seconds: 1.25, written: ['bootloader'], skipped: ['app'] },
    ];
    const text = events.flatMap((e) => f.lines(e)).map((l) => `${l.level}: ${l.text}`);
    assert.deepEqual(text, [
      'info: Connecting to /dev/ttyUSB0 (attempt 1, classic reset)...',
      'info: Connected to /dev/ttyUSB0.',
      'info: Chip is ESP32-C3 (revision v0.4)',
      'info: Stub flasher running (esp32c3.json).',
      'info: Changed baud rate to 460800.',
      'info: Writing 2 segments, 20000 bytes in total.',
      'info: [1/2] bootloader at 0x00000000: 20000 bytes, compressed',
      'info: Writing at 0x000007d0... (10 %) 200.0 kbit/s',
      'info: Writing at 0x00004e20... (100 %) 400.0 kbit/s',
      'info: Hash of data verified for bootloader (md5 abc).',
      'info: Wrote 20000 bytes (9000 compressed) to bootloader at 0x00000000 in 0.4 seconds (400.0 kbit/s).',
      'info: Skipped app: flash already holds it',
      'info: Resetting: hard reset via RTS.',
      'info: Done in 1.3 s: wrote bootloader; skipped app (unchanged).',
    ]);
  });

  it('says where a job failed and what was and was not written, at error level', () => {
    const lines = new FlashLogFormatter().lines({
      kind: 'failed',
      message: 'No serial data',
      segment: 'app',
      offset: 0x10400,
      written: ['bootloader'],
      notWritten: ['app', 'partition-table'],
    });
    assert.deepEqual(lines, [
      { level: 'error', text: 'Failed at app (0x00010400): No serial data' },
      { level: 'error', text: 'Written before the failure: bootloader.' },
      { level: 'error', text: 'Not written: app, partition-table.' },
    ]);
  });

  it('summarises a result per segment and sends warnings to warn', () => {
    const lines = resultSummaryLines({
      ok: true,
      segments: [{ name: 'app', offset: 0x10000, status: 'written', bytes: 1234, sentBytes: 700, seconds: 0.5, verified: true }],
      seconds: 2,
      wireBytesOut: 900,
      wireBytesIn: 80,
    });
    assert.equal(lines[0].text, 'Flash finished in 2.0 s (900 bytes sent, 80 received).');
    assert.match(lines[1].text, /app\s+0x00010000\s+written\s+1234 bytes {2}0\.5 s, verified/);
    const got: string[] = [];
    writeLines(
      { info: (m) => got.push(`I ${m}`), warn: (m) => got.push(`W ${m}`), error: (m) => got.push(`E ${m}`) },
      new FlashLogFormatter().lines({ kind: 'warning', message: 'slow' }),
    );
    assert.deepEqual(got, ['W Warning: slow']);
  });

  it('formats offsets and sizes', () => {
    assert.equal(hex8(0x8000), '0x00008000');
    assert.equal(formatSize(4 * 1024 * 1024), '4 MiB');
    assert.equal(formatSize(0x6000), '24 KiB');
    assert.equal(formatSize(17744), '17.3 KiB');
    assert.equal(formatSize(100), '100 B');
  });
});
