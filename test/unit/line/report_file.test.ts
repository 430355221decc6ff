import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DeviceRecord } from '../../../src/core/line/device_record';
import { deviceRecord } from '../../../src/core/line/device_record';
import { ReportWriter, csvHeader, failedDevices, parseCsv, readReport } from '../../../src/core/line/report_file';
import { retryTargets } from '../../../src/core/line/retry_failed';

const rec = (port: string, result: 'ok' | 'failed', extra: Partial<DeviceRecord> = {}): DeviceRecord => ({
  time: '2026-01-01T00:00:00.000Z',
  port,
  segmentsWritten: result === 'ok' ? 3 : 0,
  segmentsSkipped: 0,
  bytesSent: 1234,
  seconds: 1.5,
  result,
  outcome: result,
  ...extra,
});

describe('line/report_file', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'line-report-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('CSV: header once, appends across runs, quotes commas/quotes/newlines, reads back the same records', async () => {
    const file = path.join(dir, 'line.csv');
    const tricky = rec('/dev/ttyUSB1', 'failed', { outcome: 'failed', error: 'Timeout, "no answer"\nline two', failedSegment: 'app', failedOffset: '0x10400', usbSerial: 'A1' });
    const w1 = ReportWriter.open(file);
    await Promise.all([w1.append(rec('/dev/ttyUSB0', 'ok', { mac: 'aa:bb:cc:dd:ee:ff', flashSize: 4194304, security: 'off' })), w1.append(tricky)]);
    const w2 = ReportWriter.open(file);
    await w2.append(rec('/dev/ttyUSB2', 'ok'));
    const text = fs.readFileSync(file, 'utf8');
    assert.equal(text.split('\n')[0], csvHeader());
    assert.equal(text.split(csvHeader()).length, 2, 'header written more than once');
    const back = readReport(file);
    assert.equal(back.length, 3);
    assert.deepEqual(back[1], tricky);
    assert.equal(back[0].flashSize, 4194304);
    assert.equal(back[0].mac, 'aa:bb:cc:dd:ee:ff');
  });

  it('JSONL: one record per line, appended', async () => {
    const file = path.join(dir, 'line.jsonl');
    await ReportWriter.open(file).append(rec('a', 'ok'));
    await ReportWriter.open(file).append(rec('b', 'failed'));
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    assert.equal(lines.length, 2);
    assert.deepEqual(
      readReport(file).map((r) => r.port),
      ['a', 'b'],
    );
  });

  it('unwritable, folder or unknown-extension report paths fail at open (before any flashing)', () => {
    assert.throws(() => ReportWriter.open(path.join(dir, 'missing', 'r.csv')), /Cannot write the report .*its folder does not exist\. Nothing was flashed/);
    assert.throws(() => ReportWriter.open(path.join(dir, 'r.txt')), /name it \*\.jsonl/);
    fs.mkdirSync(path.join(dir, 'x.jsonl'));
    assert.throws(() => ReportWriter.open(path.join(dir, 'x.jsonl')), /is a folder/);
  });

  it('a damaged report names the file and line', () => {
    const file = path.join(dir, 'bad.jsonl');
    fs.writeFileSync(file, JSON.stringify(rec('a', 'ok')) + '\n{oops\n');
    assert.throws(() => readReport(file), /bad\.jsonl, line 2: not a JSON record/);
    const csv = path.join(dir, 'bad.csv');
    fs.writeFileSync(csv, 'a,b\n1,2\n');
    assert.throws(() => readReport(csv), /not a report header/);
  });

  it('parses CSV quoting', () => {
    assert.deepEqual(parseCsv('a,"b,""c"""\r\n"x\ny",\n'), [
      ['a', 'b,"c"'],
      ['x\ny', ''],
    ]);
  });

  it('retry: the latest record per device decides; devices are found again by USB serial, else by port', () => {
    const records = [
      rec('/dev/ttyUSB0', 'failed', { usbSerial: 'S1' }),
      rec('/dev/ttyUSB1', 'failed', { usbSerial: 'S2' }),
      rec('/dev/ttyUSB1', 'ok', { usbSerial: 'S2' }),
      rec('virtual:esp32c3', 'failed'),
      rec('/dev/ttyUSB7', 'failed', { usbSerial: 'S7' }),
    ];
    const failed = failedDevices(records);
    assert.deepEqual(
      failed.map((r) => r.port),
      ['/dev/ttyUSB0', 'virtual:esp32c3', '/dev/ttyUSB7'],
    );
    const t = retryTargets(failed, [{ path: '/dev/ttyUSB3', serialNumber: 'S1' }]);
    assert.deepEqual(t.ports, [{ port: '/dev/ttyUSB3', usbSerial: 'S1' }, { port: 'virtual:esp32c3' }]);
    assert.deepEqual(
      t.missing.map((r) => r.usbSerial),
      ['S7'],
    );
  });

  it('a record from a job result: counts, device facts, failure place, outcome', () => {
    const r = deviceRecord(
      { port: '/dev/ttyUSB0', usbSerial: 'S1' },
      {
        ok: false,
        chip: 'esp32c3',
        segments: [
          { name: 'bootloader', offset: 0, status: 'skipped', bytes: 1, sentBytes: 0, seconds: 0, verified: true },
          { name: 'app', offset: 0x10000, status: 'failed', bytes: 1, sentBytes: 0, seconds: 0, verified: false },
        ],
        seconds: 2.345,
        wireBytesOut: 5000,
        wireBytesIn: 100,
        error: 'The device went away.',
        device: Object.assign(
          {
            chip: 'esp32c3' as const,
            description: 'ESP32-C3',
            mac: '24:0a:c4:00:00:01',
            flashSize: 4194304,
            flashEncryption: 'development' as const,
            cryptCounter: 1,
            secureBoot: true,
            secureDownloadMode: false,
            keyPresent: true,
            stub: true,
          },
          { identity: { revision: { major: 0, minor: 4 }, features: [], keyBlocks: [] } },
        ),
      },
      { kind: 'failed', message: 'x', segment: 'app', offset: 0x12345, written: [], notWritten: ['app'] },
      { now: new Date(0) },
    );
    assert.deepEqual(r, {
      time: '1970-01-01T00:00:00.000Z',
      port: '/dev/ttyUSB0',
      usbSerial: 'S1',
      chip: 'esp32c3',
      revision: 'v0.4',
      chipDescription: 'ESP32-C3',
      mac: '24:0a:c4:00:00:01',
      flashSize: 4194304,
      security: 'development+secure-boot',
      segmentsWritten: 0,
      segmentsSkipped: 1,
      bytesSent: 5000,
      seconds: 2.35,
      result: 'failed',
      outcome: 'failed',
      error: 'The device went away.',
      failedSegment: 'app',
      failedOffset: '0x12345',
    });
  });
});
