import { strict as assert } from 'node:assert';
import type { FlashEvent } from '../../../src/core/flash/events';
import { ProgressPrinter, bar, hex8, progressLine } from '../../../src/cli/progress_printer';

function run(events: FlashEvent[], tty = false): { lines: string[]; raw: string } {
  const lines: string[] = [];
  let raw = '';
  const p = new ProgressPrinter((l) => lines.push(l), { tty, rawWrite: (t) => (raw += t), barWidth: 10 });
  for (const e of events) p.listener(e);
  p.finish();
  return { lines, raw };
}

const start: FlashEvent = { kind: 'segment-start', index: 0, name: 'app', offset: 0x10000, size: 1000, method: 'compressed' };
const progress = (written: number): FlashEvent => ({ kind: 'progress', index: 0, name: 'app', written, total: 1000, sent: written / 2, kbitPerSecond: 612.4 });

describe('cli progress printer', () => {
  it('formats the esptool-like progress line', () => {
    assert.equal(hex8(0x10000), '0x00010000');
    assert.equal(bar(0.5, 10), '[=====     ]');
    assert.equal(progressLine(0x10000, 452, 1000, 612.4, 10), 'Writing at 0x000101c4 [=====     ]  45.2%   612 kbit/s');
  });

  it('prints the written summary with the compressed size and the rate', () => {
    const { lines } = run([
      { kind: 'segment-start', index: 0, name: 'app', offset: 0x10000, size: 169232, method: 'compressed' },
      { kind: 'segment-done', index: 0, name: 'app', bytes: 169232, sentBytes: 89490, seconds: 2.64, kbitPerSecond: 513.2 },
      { kind: 'verified', index: 0, name: 'app', md5: '00' },
    ]);
    assert.deepEqual(lines.slice(1), ['Wrote 169232 bytes (89490 compressed) at 0x00010000 in 2.6 seconds (513 kbit/s)', 'Hash of data verified.']);
  });

  it('leaves out "compressed" when the method sent the data uncompressed (padding included)', () => {
    const plain: FlashEvent = { kind: 'segment-start', index: 0, name: 'app', offset: 0x10000, size: 1000, method: 'device-encrypted (ROM, FLASH_BEGIN encrypted flag)' };
    const { lines } = run([plain, { kind: 'segment-done', index: 0, name: 'app', bytes: 1000, sentBytes: 1024, seconds: 1, kbitPerSecond: 8 }]);
    assert.equal(lines[1], 'Wrote 1000 bytes at 0x00010000 in 1.0 seconds (8 kbit/s)');
  });

  it('host-encrypted data: says only the ciphertext could be checked', () => {
    const { lines } = run([
      start,
      { kind: 'verified', index: 0, name: 'app', md5: 'ab', checked: 'ciphertext' },
      { kind: 'segment-done', index: 0, name: 'app', bytes: 1000, sentBytes: 1000, seconds: 1, kbitPerSecond: 8 },
    ]);
    assert.match(lines[2], /^Hash of ciphertext verified \(only the ciphertext could be checked: the chip's key cannot be read/);
  });

  it('does not call padding compression: more bytes sent than written is said as such', () => {
    const { lines } = run([start, { kind: 'segment-done', index: 0, name: 'app', bytes: 3072, sentBytes: 16384, seconds: 1, kbitPerSecond: 8 }]);
    assert.deepEqual(lines.slice(1), ['Wrote 3072 bytes (16384 bytes sent, with sector padding and retries) at 0x00010000 in 1.0 seconds (8 kbit/s)']);
  });

  it('prints "Hash of data verified." after the segment summary, as esptool does', () => {
    const { lines } = run([
      start,
      { kind: 'verified', index: 0, name: 'app', md5: 'ab' },
      { kind: 'segment-done', index: 0, name: 'app', bytes: 1000, sentBytes: 400, seconds: 1, kbitPerSecond: 8 },
    ]);
    assert.deepEqual(lines.slice(1), ['Wrote 1000 bytes (400 compressed) at 0x00010000 in 1.0 seconds (8 kbit/s)', 'Hash of data verified.']);
  });

  it('prints one line per 10% step when not on a terminal', () => {
    const events: FlashEvent[] = [start];
    for (let w = 0; w <= 1000; w += 25) events.push(progress(w));
    const { lines, raw } = run(events);
    const bars = lines.filter((l) => l.startsWith('Writing at'));
    assert.equal(bars.length, 10);
    assert.match(bars[0], / 10\.0% /);
    assert.match(bars[9], /100\.0% /);
    assert.equal(raw, '');
  });

  it('redraws one line in place on a terminal and ends it before the next line', () => {
    const { lines, raw } = run(
      [start, progress(100), progress(200), { kind: 'segment-done', index: 0, name: 'app', bytes: 1000, sentBytes: 500, seconds: 1, kbitPerSecond: 8 }],
      true,
    );
    assert.equal(lines.filter((l) => l.startsWith('Writing at')).length, 0);
    assert.equal(raw.split('\r').length - 1, 2);
    assert.ok(raw.includes('\x1b[K'));
    assert.ok(raw.endsWith('\n'), 'the redrawn line is closed before "Wrote"');
    assert.match(lines[lines.length - 1], /^Wrote 1000 bytes \(500 compressed\)/);
  });

  it('says what was skipped and where, and where a failure happened', () => {
    const { lines } = run([
      start,
      { kind: 'skipped', index: 0, name: 'app', reason: 'already on flash' },
      { kind: 'failed', message: 'x', segment: 'storage', offset: 0x120000, written: ['bootloader'], notWritten: ['storage'] },
    ]);
    assert.equal(lines[1], 'Skipped app at 0x00010000 (already on flash)');
    assert.equal(lines[2], 'Failed at storage (0x00120000).');
    assert.equal(lines.length, 3);
  });

  it('names the offset of a skipped segment and shortens the usual reason', () => {
    const lines: string[] = [];
    const p = new ProgressPrinter((l) => lines.push(l), { tty: false, offsets: [0x0, 0x10000] });
    const md5 = 'ab'.repeat(16);
    p.listener({ kind: 'skipped', index: 1, name: 'app', reason: `flash at 0x10000 already holds it (MD5 ${md5})`, md5 });
    p.listener({ kind: 'skipped', index: 0, name: 'bootloader', reason: 'some other reason' });
    p.listener({ kind: 'skipped', index: 1, name: 'app', reason: 'ignored: the fields say it', md5, how: 'device cache confirmed by one MD5 of the flash' });
    assert.deepEqual(lines, [
      `Skipped app at 0x00010000 (already on flash, MD5 ${md5})`,
      'Skipped bootloader at 0x00000000 (some other reason)',
      `Skipped app at 0x00010000 (already on flash, MD5 ${md5}; device cache confirmed by one MD5 of the flash)`,
    ]);
  });

  it('renders connection, chip, stub, baud and warning events', () => {
    const { lines } = run([
      { kind: 'connecting', port: '/dev/pts/3', attempt: 1, strategy: 'no reset' },
      { kind: 'chip', chip: 'esp32c3', description: 'ESP32-C3 (revision v0.4)' },
      { kind: 'stub', running: true, detail: '' },
      { kind: 'stub', running: false, detail: 'ROM loader (stub not used)' },
      { kind: 'baud', baud: 921600 },
      { kind: 'warning', message: 'crypt counter even' },
    ]);
    assert.deepEqual(lines, [
      'Connecting to /dev/pts/3 (attempt 1, no reset)...',
      'Chip is ESP32-C3 (revision v0.4)',
      'Flasher stub running.',
      'Using ROM loader (stub not used).',
      'Changed baud rate to 921600.',
      'Warning: crypt counter even',
    ]);
  });
});
