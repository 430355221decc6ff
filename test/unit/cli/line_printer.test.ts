import { strict as assert } from 'node:assert';
import { LinePrinter, lineTable } from '../../../src/cli/line_printer';
import type { DeviceRecord } from '../../../src/core/line/device_record';

describe('cli line printer', () => {
  it("not a TTY: each device's lines carry its port", () => {
    const lines: string[] = [];
    const p = new LinePrinter((l) => lines.push(l), [{ port: 'A' }, { port: 'B' }], { tty: false });
    p.listener({ port: 'A' }, { kind: 'connected', port: 'A' });
    p.listener({ port: 'B' }, { kind: 'failed', message: 'x', segment: 'app', offset: 0x10000, written: [], notWritten: ['app'] });
    p.finish();
    assert.deepEqual(lines, ['[A] Connected to A.', '[B] Failed at app (0x00010000).']);
  });

  it('a TTY: one live line per device, redrawn in place (cursor up over the block)', () => {
    let raw = '';
    const p = new LinePrinter(() => assert.fail('no plain lines on a TTY'), [{ port: '/dev/ttyUSB0' }, { port: '/dev/ttyUSB1' }], { tty: true, rawWrite: (t) => (raw += t) });
    p.listener({ port: '/dev/ttyUSB0' }, { kind: 'chip', chip: 'esp32c3', description: 'ESP32-C3' });
    p.listener({ port: '/dev/ttyUSB1' }, { kind: 'progress', index: 0, name: 'app', written: 500, total: 1000, sent: 10, kbitPerSecond: 800 });
    p.finish();
    const frames = raw.split('\x1b[2A');
    assert.equal(frames.length, 2, 'expected the first draw and one redraw');
    const last = frames[1].split('\n').filter(Boolean);
    assert.equal(last.length, 2);
    assert.match(last[0], /\/dev\/ttyUSB0\s+esp32c3\s+.*chip detected/);
    assert.match(last[1], /\/dev\/ttyUSB1\s+.*\[==========          \]  50%  writing app\s+800 kbit\/s/);
  });

  it('a TTY: lines are cut to the terminal width (a wrapped line would break the redraw)', () => {
    let raw = '';
    const p = new LinePrinter(() => undefined, [{ port: 'A' }], { tty: true, rawWrite: (t) => (raw += t), columns: 60 });
    p.listener({ port: 'A' }, { kind: 'failed', message: 'Nothing was written. '.repeat(10), written: [], notWritten: [] });
    p.finish();
    const lines = raw
      .split('\x1b[1A')
      .pop()!
      .split('\n')
      .filter(Boolean)
      .map((l) => l.replace(/\r|\x1b\[K/g, ''));
    assert.equal(lines.length, 1);
    assert.equal(lines[0].length, 59);
    assert.match(lines[0], /^A +FAILED: Noth.*…$/);
  });

  it('the closing table: port, chip, MAC, result, seconds, then why each failed', () => {
    const recs = [
      { port: 'A', chip: 'esp32c3', mac: 'aa', result: 'ok', outcome: 'ok', seconds: 1.23 },
      { port: 'B', result: 'failed', outcome: 'refused', seconds: 0.5, error: 'No key' },
    ] as DeviceRecord[];
    assert.deepEqual(lineTable(recs), [
      'port  chip     MAC  result   seconds',
      '----  -------  ---  -------  -------',
      'A     esp32c3  aa   ok           1.2',
      'B     ?        ?    REFUSED      0.5',
      '',
      'B: No key',
      '',
      '1 of 2 devices flashed, 1 not.',
    ]);
  });
});
