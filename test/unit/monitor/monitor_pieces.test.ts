import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LineSplitter } from '../../../src/core/monitor/line_splitter';
import { colorize, LogFilter, parseLogLine } from '../../../src/core/monitor/log_lines';
import { findSameDevice, identityOf, type PortEntry } from '../../../src/core/transport/port_list';
import { claimPort, holderOf, PortBusyError, portKey } from '../../../src/core/transport/port_owners';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('monitor pieces', () => {
  it('line splitter: \\r\\n, \\n and lone \\r end lines, also split across chunks; UTF-8 across chunks; fragments', () => {
    const s = new LineSplitter();
    assert.deepEqual(
      s.push(enc('a\r'), 1).map((l) => l.text),
      ['a'],
    );
    assert.deepEqual(
      s.push(enc('\nb\nc'), 2).map((l) => l.text),
      ['b'],
    );
    const euro = enc('€\n');
    assert.deepEqual(s.push(euro.subarray(0, 1), 3), []);
    const lines = s.push(euro.subarray(1), 4);
    assert.deepEqual(
      lines.map((l) => l.text),
      ['c€'],
    );
    assert.equal(lines[0].startedAt, 2, 'a line is stamped with the arrival of its first byte');
    s.push(enc('prompt> '), 5);
    assert.deepEqual(s.fragment, { text: 'prompt> ', since: 5 });
    assert.equal(s.takeFragment(), 'prompt> ');
    assert.deepEqual(
      s.push(enc('\r\n\r\n'), 6).map((l) => l.text),
      ['', ''],
      'empty lines are kept',
    );
  });

  it("ESP-IDF log lines: level, tag, colours; the chip's own colours are kept", () => {
    assert.deepEqual(parseLogLine('E (1234) wifi: failed'), { level: 'E', tag: 'wifi' });
    assert.deepEqual(parseLogLine('W (12:01:02.345) nvs: low'), { level: 'W', tag: 'nvs' });
    assert.equal(parseLogLine('ets Jun  8 2016 00:22:57'), undefined);
    assert.equal(colorize('E (1) x: y'), '\x1b[0;31mE (1) x: y\x1b[0m');
    assert.equal(colorize('W (1) x: y'), '\x1b[0;33mW (1) x: y\x1b[0m');
    assert.equal(colorize('I (1) x: y'), '\x1b[0;32mI (1) x: y\x1b[0m');
    assert.equal(colorize('D (1) x: y'), '\x1b[0;36mD (1) x: y\x1b[0m');
    assert.equal(colorize('V (1) x: y'), '\x1b[0;90mV (1) x: y\x1b[0m');
    assert.equal(colorize('\x1b[0;32mI (1) x: y\x1b[0m'), '\x1b[0;32mI (1) x: y\x1b[0m');
    assert.equal(colorize('plain text'), 'plain text');
  });

  it('filter by tag and level: "wifi:W *:I"; unlisted tags hidden without "*"; "*:N" hides other output', () => {
    const f = new LogFilter('wifi:W *:I');
    assert.equal(f.shows('E (1) wifi: x'), true);
    assert.equal(f.shows('I (1) wifi: x'), false);
    assert.equal(f.shows('I (1) app: x'), true);
    assert.equal(f.shows('D (1) app: x'), false);
    assert.equal(f.shows('rst:0x1 (POWERON_RESET)'), true);
    const only = new LogFilter('app:D');
    assert.equal(only.shows('D (1) app: x'), true);
    assert.equal(only.shows('E (1) wifi: x'), false);
    assert.equal(new LogFilter('*:N').shows('some text'), false);
    assert.throws(() => new LogFilter('wifi:Q'), /Filter "wifi:Q" is not tag:LEVEL/);
  });

  it('the same device after a replug: by serial number wherever it is, else VID:PID at the same USB location, never another device at the old path', () => {
    const list: PortEntry[] = [
      { path: '/dev/ttyACM0', serialNumber: 'OTHER', vendorId: '303a', productId: '1001', locationId: '1-2' },
      { path: '/dev/ttyACM1', serialNumber: 'ABC', vendorId: '303a', productId: '1001', locationId: '1-3' },
      { path: '/dev/ttyUSB0', vendorId: '10c4', productId: 'ea60', locationId: '1-4' },
    ];
    assert.equal(findSameDevice({ path: '/dev/ttyACM0', serialNumber: 'ABC', vendorId: '303a', productId: '1001' }, list)?.path, '/dev/ttyACM1');
    assert.equal(findSameDevice({ path: '/dev/ttyACM0', serialNumber: 'GONE', vendorId: '303a', productId: '1001' }, list), undefined);
    assert.equal(findSameDevice({ path: '/dev/ttyUSB3', vendorId: '10c4', productId: 'ea60', locationId: '1-4' }, list)?.path, '/dev/ttyUSB0');
    assert.equal(findSameDevice({ path: '/dev/ttyUSB0', vendorId: '10c4', productId: 'ea60', locationId: '1-9' }, list), undefined);
    assert.equal(findSameDevice({ path: '/dev/ttyS0' }, list), undefined);
    assert.equal(findSameDevice({ path: '/dev/ttyS0' }, [{ path: '/dev/ttyS0' }])?.path, '/dev/ttyS0');
  });

  it('one owner per port: the second claim names the holder; spellings of one port are one port', () => {
    const release = claimPort('COM3', { who: 'the serial monitor', since: 0 });
    try {
      assert.equal(portKey('com3'), portKey('COM3'));
      assert.equal(holderOf('com3')?.who, 'the serial monitor');
      assert.throws(
        () => claimPort('com3', { who: 'a flash job', since: 0 }, 'flashing'),
        (e: unknown) =>
          e instanceof PortBusyError &&
          /COM3|com3/.test((e as Error).message) &&
          /the serial monitor in this program holds it/.test((e as Error).message) &&
          /before flashing/.test((e as Error).message),
      );
    } finally {
      release();
    }
    assert.equal(holderOf('COM3'), undefined);
  });
});

describe('monitor pieces: symlinked device paths', () => {
  it('a symlink to a device (/dev/serial/by-id/…) is the same port and the same device as its target', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'port-key-'));
    const dev = path.join(dir, 'ttyUSB0');
    const link = path.join(dir, 'usb-Silicon_Labs_CP2102-if00-port0');
    fs.writeFileSync(dev, '');
    fs.symlinkSync(dev, link);
    try {
      assert.equal(portKey(link), portKey(dev));
      const release = claimPort(dev, { who: 'the serial monitor', since: 0 });
      try {
        assert.equal(holderOf(link)?.who, 'the serial monitor');
      } finally {
        release();
      }
      const id = identityOf(link, [{ path: dev, serialNumber: 'S1', vendorId: '10C4', productId: 'EA60' }]);
      assert.deepEqual({ serial: id.serialNumber, vid: id.vendorId, pid: id.productId }, { serial: 'S1', vid: '10c4', pid: 'ea60' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
