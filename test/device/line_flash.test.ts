/**
 * The production line end to end: `esp-flasher flash` with several ports, each a virtual chip
 * behind its own pseudo-terminal (real serialport binding), in one process. One chip is
 * unplugged mid-write, one has flash encryption on but no key in the key folder, one hangs;
 * the others are flashed and read back, and the report says what happened to each.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../src/cli/main';
import type { ListedPort } from '../../src/core/transport/usb_bridges';
import { readDeviceInfo } from '../../src/core/flash/device_ops';
import type { DeviceRecord } from '../../src/core/line/device_record';
import { readReport } from '../../src/core/line/report_file';
import { startPtyChip, type PtyChip } from '../../src/sim/pty_chip';
import { generatedImage, pseudoRandom } from './flash_helpers';

interface Run {
  code: number;
  out: string;
  err: string;
}

async function cli(argv: string[], extra: { listPorts?: () => Promise<ListedPort[]>; signal?: AbortSignal } = {}): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l), ...extra });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const macOf = (n: number): Uint8Array => Uint8Array.from([0x24, 0x0a, 0xc4, 0x10, 0x00, n]);
const macText = (n: number): string => `24:0a:c4:10:00:${n.toString(16).padStart(2, '0')}`;
const keyName = (n: number): string => `240ac41000${n.toString(16).padStart(2, '0')}.bin`;
const keyOf = (n: number): Uint8Array => pseudoRandom(32, `line-key-${n}`);
const APP = 0x10000;

describe('production line: several devices at once', function () {
  this.timeout(90_000);
  let dir: string;
  let chips: PtyChip[] = [];
  let app: Uint8Array;
  let appFile: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'esp-flasher-line-'));
    app = generatedImage('esp32c3', 300_000, 'line-app');
    appFile = path.join(dir, 'app.bin');
    await writeFile(appFile, app);
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  afterEach(async () => {
    await Promise.all(chips.map((c) => c.close()));
    chips = [];
  });

  /** Virtual ESP32-C3 n with flash encryption (development) and key n, MAC …:n. */
  async function encryptedChip(n: number): Promise<PtyChip> {
    const c = await startPtyChip({ chip: 'esp32c3', encryption: 'development', key: keyOf(n), mac: macOf(n) });
    chips.push(c);
    return c;
  }

  async function keyDir(name: string, withKeys: number[]): Promise<string> {
    const d = path.join(dir, name);
    fs.mkdirSync(d, { recursive: true });
    for (const n of withKeys) await writeFile(path.join(d, keyName(n)), keyOf(n));
    return d;
  }

  const byPort = (records: DeviceRecord[], c: PtyChip): DeviceRecord => {
    const r = records.find((x) => x.port === c.path);
    assert.ok(r, `no record for ${c.path}`);
    return r;
  };

  const holdsApp = (c: PtyChip): boolean => Buffer.from(c.chip.decryptFlash(APP, app.length)).equals(Buffer.from(app));
  const untouched = (c: PtyChip): boolean => c.chip.readFlash(APP, 4096).every((b) => b === 0xff);

  it('5 chips in parallel: 3 flashed, 1 unplugged mid-write, 1 refused for a missing key — the report says which and where', async () => {
    const [a, b, c, d, e] = [await encryptedChip(1), await encryptedChip(2), await encryptedChip(3), await encryptedChip(4), await encryptedChip(5)];
    const keys = await keyDir('keys-1', [1, 2, 3, 5]); // no key for chip 4
    b.chip.faults.disconnectAtByte(120_000, 'in'); // unplugged while the app is being written
    const report = path.join(dir, 'line-1.jsonl');
    const run = await cli([
      'flash',
      '--port',
      a.path,
      '--port',
      b.path,
      '--port',
      c.path,
      '--port',
      d.path,
      '--port',
      e.path,
      '--encrypt-key-dir',
      keys,
      '--encrypt-files',
      `0x${APP.toString(16)}`,
      appFile,
      '--report',
      report,
    ]);
    assert.equal(run.code, 1, run.out + run.err);

    for (const ok of [a, c, e]) assert.ok(holdsApp(ok), `${ok.path} does not hold the app`);
    assert.ok(untouched(d), 'the chip without a key was written to');

    const records = readReport(report);
    assert.equal(records.length, 5);
    for (const [ok, n] of [
      [a, 1],
      [c, 3],
      [e, 5],
    ] as const) {
      const r = byPort(records, ok);
      assert.equal(r.result, 'ok');
      assert.equal(r.outcome, 'ok');
      assert.equal(r.mac, macText(n));
      assert.equal(r.chip, 'esp32c3');
      assert.equal(r.security, 'development');
      assert.equal(r.flashSize, 4 * 1024 * 1024);
      assert.equal(r.segmentsWritten, 1);
      assert.ok(r.bytesSent > app.length, `bytes sent ${r.bytesSent}`);
    }
    const unplugged = byPort(records, b);
    assert.equal(unplugged.result, 'failed');
    assert.equal(unplugged.outcome, 'failed');
    assert.equal(unplugged.mac, macText(2));
    assert.equal(unplugged.failedSegment, 'app');
    assert.ok(unplugged.failedOffset && Number(unplugged.failedOffset) >= APP && Number(unplugged.failedOffset) < APP + app.length, `offset ${unplugged.failedOffset}`);
    assert.match(unplugged.error ?? '', /went away|unplugged/);
    assert.equal(unplugged.segmentsWritten, 0);

    const refused = byPort(records, d);
    assert.equal(refused.result, 'failed');
    assert.equal(refused.outcome, 'refused');
    assert.equal(refused.mac, macText(4));
    assert.match(refused.error ?? '', /No key for device 24:0a:c4:10:00:04/);
    assert.match(refused.error ?? '', new RegExp(keyName(4)));
    assert.equal(refused.segmentsWritten, 0);

    // The closing table names each device's verdict.
    assert.match(run.out, new RegExp(`${a.path.replace(/[/\\.]/g, '\\$&')}\\s+esp32c3\\s+24:0a:c4:10:00:01\\s+ok`));
    assert.match(run.out, /REFUSED/);
    assert.match(run.out, /3 of 5 devices flashed, 2 not\./);
    // Not a TTY: every line of a device's log carries its port.
    assert.match(run.out, new RegExp(`\\[${d.path.replace(/[/\\.]/g, '\\$&')}\\] Failed at app`));
    // Every port was released: the ones still attached open again at once.
    for (const x of [a, c, d, e]) assert.equal((await readDeviceInfo({ port: x.path, before: 'no-reset' })).chip, 'esp32c3');

    // --retry-failed: only the failed devices whose port is still there; the key is now present.
    await writeFile(path.join(keys, keyName(4)), keyOf(4));
    const before = [a, c, e].map((x) => x.chip.stats.bytesIn);
    const retry = await cli(['flash', '--retry-failed', report, '--report', report, '--encrypt-key-dir', keys, '--encrypt-files', `0x${APP.toString(16)}`, appFile]);
    assert.equal(retry.code, 0, retry.out + retry.err);
    assert.match(retry.err, new RegExp(`Not found now: ${b.path.replace(/[/\\.]/g, '\\$&')}`));
    assert.ok(holdsApp(d), 'the retried chip does not hold the app');
    assert.deepEqual(
      [a, c, e].map((x) => x.chip.stats.bytesIn),
      before,
      'a device that had succeeded was contacted again',
    );
    const after = readReport(report);
    assert.equal(after.length, 6);
    assert.equal(after[5].port, d.path);
    assert.equal(after[5].result, 'ok');
  });

  it('a rule the job judges (an offset off its 4 KiB sector) refuses every device, and --force lets the whole line through, as for one device', async () => {
    chips = [await startPtyChip({ chip: 'esp32c3', mac: macOf(0x41) }), await startPtyChip({ chip: 'esp32c3', mac: macOf(0x42) })];
    const small = path.join(dir, 'small.bin');
    await writeFile(small, pseudoRandom(4096, 'line-unaligned'));
    const ports = chips.flatMap((c) => ['--port', c.path]);
    const refused = await cli(['flash', ...ports, '--before', 'no-reset', '--chip', 'esp32c3', '0x20800', small]);
    assert.notEqual(refused.code, 0, refused.out);
    assert.match(refused.out + refused.err, /not on a 4 KiB sector boundary/);
    for (const c of chips)
      assert.ok(
        Buffer.from(c.chip.readFlash(0x20000, 0x1000)).every((b) => b === 0xff),
        'a refused device was written',
      );
    const forced = await cli(['flash', ...ports, '--before', 'no-reset', '--chip', 'esp32c3', '--force', '0x20800', small]);
    assert.equal(forced.code, 0, `${forced.out}\n${forced.err}`);
    for (const c of chips) assert.ok(Buffer.from(c.chip.readFlash(0x20800, 4096)).equals(await readFile(small)));
  });

  it('a hanging device is stopped at --stall-timeout; the others finish; a CSV report gets one header', async () => {
    const [a, b, c, d] = [await encryptedChip(11), await encryptedChip(12), await encryptedChip(13), await encryptedChip(14)];
    const keys = await keyDir('keys-2', [11, 12, 13, 14]);
    // Stops answering at the 5th data block (whichever write command carries it): never recovers.
    for (const opcode of [0x03, 0x11, 0xd4]) b.chip.faults.stall(undefined, { nth: 5, opcode });
    const report = path.join(dir, 'line-2.csv');
    const args = [
      'flash',
      '--port',
      a.path,
      '--port',
      b.path,
      '--port',
      c.path,
      '--port',
      d.path,
      '--encrypt-key-dir',
      keys,
      '--encrypt-files',
      '0x10000',
      appFile,
      '--report',
      report,
      '--stall-timeout',
      '5',
    ];
    const t0 = Date.now();
    const run = await cli(args);
    assert.equal(run.code, 1, run.out + run.err);
    assert.ok(Date.now() - t0 < 30_000);
    const records = readReport(report);
    assert.equal(records.length, 4);
    for (const ok of [a, c, d]) {
      assert.equal(byPort(records, ok).result, 'ok');
      assert.ok(holdsApp(ok));
    }
    const hung = byPort(records, b);
    assert.equal(hung.result, 'failed');
    // The watchdog or the loader's own deadline, whichever comes first, ends it.
    assert.ok(hung.outcome === 'stalled' || hung.outcome === 'failed', hung.outcome);
    if (hung.outcome === 'stalled') assert.match(hung.error ?? '', /no progress for 5 s/);
    const text = await readFile(report, 'utf8');
    assert.equal(text.split('\n').filter((l) => l.startsWith('time,port,')).length, 1);
    // A second run appends without a second header.
    const again = await cli(['flash', '--port', a.path, '--encrypt-key-dir', keys, '--encrypt-files', '0x10000', appFile, '--report', report]);
    assert.equal(again.code, 0, again.out + again.err);
    const text2 = await readFile(report, 'utf8');
    assert.equal(text2.split('\n').filter((l) => l.startsWith('time,port,')).length, 1);
    assert.equal(readReport(report).length, 5);
    assert.equal(readReport(report)[4].segmentsSkipped, 1, 'the unchanged app was not skipped on the second run');
  });

  it('mixed chips and --min-flash-size: each device gets its own verdict; Ctrl-C stops all and releases every port', async () => {
    const small = await startPtyChip({ chip: 'esp32c3', flashSize: 2 * 1024 * 1024, mac: macOf(21) });
    const s3 = await startPtyChip({ chip: 'esp32s3', mac: macOf(22) });
    const good = await startPtyChip({ chip: 'esp32c3', mac: macOf(23), flashSize: 8 * 1024 * 1024 });
    chips.push(small, s3, good);
    const plain = path.join(dir, 'plain.bin');
    await writeFile(plain, generatedImage('esp32c3', 100_000, 'plain-app'));
    const run = await cli(['flash', '--port', small.path, '--port', s3.path, '--port', good.path, '--chip', 'esp32c3', '--min-flash-size', '4MB', '0x10000', plain]);
    assert.equal(run.code, 1, run.out + run.err);
    assert.match(run.out, /has 2 MB of flash, less than the 4 MB the line requires/);
    assert.match(run.out, /This device is ESP32-S3 .* but the line flashes ESP32-C3/);
    const want = await readFile(plain);
    const got = Buffer.from(good.chip.readFlash(0x10000, want.length));
    assert.ok(got.equals(want), `first difference at ${got.findIndex((x, i) => x !== want[i])}: ${run.out}`);
    assert.ok(small.chip.readFlash(0x10000, 4096).every((x) => x === 0xff));
    assert.ok(s3.chip.readFlash(0x10000, 4096).every((x) => x === 0xff));

    // Ctrl-C mid-write: every job stops, the exit code is 130, every port opens again. These two
    // chips pace the wire (timing model), so neither can finish before the interrupt lands.
    const paced = [await startPtyChip({ chip: 'esp32c3', timing: true, mac: macOf(24) }), await startPtyChip({ chip: 'esp32c3', timing: true, mac: macOf(25) })];
    chips.push(...paced);
    const big = path.join(dir, 'big.bin');
    await writeFile(big, pseudoRandom(600_000, 'big'));
    const abort = new AbortController();
    const ports = paced;
    let started = 0;
    const timer = setInterval(() => {
      started = ports.filter((p) => p.chip.stats.bytesIn > 60_000).length;
      if (started === ports.length) abort.abort(new Error('Interrupted by the user (Ctrl-C).'));
    }, 20);
    const stopped = await cli(['flash', '--port', ports[0].path, '--port', ports[1].path, '--no-compress', '0x10000', big], { signal: abort.signal });
    clearInterval(timer);
    assert.equal(started, 2, stopped.out + stopped.err);
    assert.equal(stopped.code, 130, stopped.out + stopped.err);
    assert.equal((stopped.out.match(/CANCELLED/g) ?? []).length, 2, stopped.out);
    for (const p of ports) assert.equal((await readDeviceInfo({ port: p.path, before: 'no-reset' })).chip, 'esp32c3');
  });

  it('--ports auto and globs pick from the listed ports; --watch flashes each new device once by USB serial', async () => {
    const [a, b, c] = [
      await startPtyChip({ chip: 'esp32c3', mac: macOf(31) }),
      await startPtyChip({ chip: 'esp32c3', mac: macOf(32) }),
      await startPtyChip({ chip: 'esp32c3', mac: macOf(33) }),
    ];
    chips.push(a, b, c);
    const plain = path.join(dir, 'watch.bin');
    await writeFile(plain, generatedImage('esp32c3', 60_000, 'watch-app'));
    const bridged = (p: PtyChip, serial: string): ListedPort => ({ path: p.path, vendorId: '10c4', productId: 'ea60', serialNumber: serial, manufacturer: 'Silicon Labs' });
    // a and b sit on known ESP bridges; c is some other USB device.
    const listing: ListedPort[] = [bridged(a, 'SN-A'), bridged(b, 'SN-B'), { path: c.path, vendorId: '0bda', productId: '8153' }];
    const auto = await cli(['flash', '--ports', 'auto', '0x10000', plain, '--report', path.join(dir, 'auto.jsonl')], { listPorts: async () => listing });
    assert.equal(auto.code, 0, auto.out + auto.err);
    const recs = readReport(path.join(dir, 'auto.jsonl'));
    assert.deepEqual(recs.map((r) => r.usbSerial).sort(), ['SN-A', 'SN-B']);
    assert.equal(c.chip.stats.bytesIn, 0, 'a port that is not an ESP bridge was opened');

    const glob = await cli(['flash', '--ports', path.join(path.dirname(c.path), 'ho?t'), '0x10000', plain], { listPorts: async () => listing });
    assert.equal(glob.code, 0, glob.out + glob.err);
    assert.match(glob.out, /1 of 1 device flashed/);

    // Fixture mode: devices appear one by one; a device seen again is not flashed again.
    const live: ListedPort[] = [];
    const abort = new AbortController();
    const report = path.join(dir, 'watch.jsonl');
    const watching = cli(['flash', '--watch', '--ports', 'auto', '0x20000', plain, '--report', report], { listPorts: async () => [...live], signal: abort.signal });
    const waitRecords = async (n: number): Promise<void> => {
      const t0 = Date.now();
      while (!(fs.existsSync(report) && readReport(report).length >= n)) {
        if (Date.now() - t0 > 30_000) throw new Error(`no ${n} records in ${report}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    live.push(bridged(a, 'SN-A'));
    await waitRecords(1);
    live.push(bridged(b, 'SN-B'));
    await waitRecords(2);
    const seenA = a.chip.stats.bytesIn;
    await new Promise((r) => setTimeout(r, 2500)); // two more polls with both listed
    abort.abort();
    const w = await watching;
    assert.equal(w.code, 0, w.out + w.err);
    assert.equal(a.chip.stats.bytesIn, seenA, 'a device was flashed twice');
    assert.deepEqual(
      readReport(report).map((r) => [r.usbSerial, r.result]),
      [
        ['SN-A', 'ok'],
        ['SN-B', 'ok'],
      ],
    );
  });

  describe('bad input', () => {
    it('--monitor with several ports is a usage error that says how to watch one device', async () => {
      const r = await cli(['flash', '--port', '/dev/ttyFAKE0', '--port', '/dev/ttyFAKE1', '--monitor', '0x10000', appFile]);
      assert.equal(r.code, 2);
      assert.match(r.err, /--monitor watches one device: .*esp-flasher monitor --port P/);
    });

    it('the same port twice, a glob matching nothing, no ESP bridge for auto: exit 2, nothing opened', async () => {
      const a = await startPtyChip({ chip: 'esp32c3' });
      chips.push(a);
      const twice = await cli(['flash', '--port', a.path, '--port', a.path, '0x10000', appFile]);
      assert.equal(twice.code, 2);
      assert.match(twice.err, /is given twice/);
      const viaLink = await cli(['flash', '--port', a.path, '--port', fs.realpathSync(a.path), '0x10000', appFile]);
      assert.equal(viaLink.code, 2);
      assert.match(viaLink.err, /are the same device/);
      const listing = async (): Promise<ListedPort[]> => [{ path: '/dev/ttyS0' }];
      const none = await cli(['flash', '--ports', '/dev/ttyUSB*', '0x10000', appFile], { listPorts: listing });
      assert.equal(none.code, 2);
      assert.match(none.err, /--ports \/dev\/ttyUSB\*: The port pattern \/dev\/ttyUSB\* matches no serial port\. Ports present: \/dev\/ttyS0\..*\(--port PORT names one\.\)/);
      const auto = await cli(['flash', '--ports', 'auto', '0x10000', appFile], { listPorts: listing });
      assert.equal(auto.code, 2);
      assert.match(auto.err, /No known ESP USB bridge/);
      const expanded = await cli(['flash', '--ports', '/dev/ttyUSB0', '/dev/ttyUSB1', '0x10000', appFile], { listPorts: listing });
      assert.equal(expanded.code, 2);
      assert.match(expanded.err, /"\/dev\/ttyUSB1" looks like a serial port.*Quote it: --ports "\/dev\/ttyUSB\*"/);
      assert.equal(a.chip.stats.bytesIn, 0);
    });

    it('a report that cannot be written is said before anything is flashed', async () => {
      const a = await startPtyChip({ chip: 'esp32c3' });
      chips.push(a);
      const missingDir = await cli(['flash', '--port', a.path, '--report', path.join(dir, 'no-such-dir', 'r.csv'), '0x10000', appFile]);
      assert.equal(missingDir.code, 2);
      assert.match(missingDir.err, /Cannot write the report .*no-such-dir.*its folder does not exist\. Nothing was flashed/);
      const badExt = await cli(['flash', '--port', a.path, '--report', path.join(dir, 'r.txt'), '0x10000', appFile]);
      assert.equal(badExt.code, 2);
      assert.match(badExt.err, /name it \*\.jsonl .* or \*\.csv/);
      const folderPath = path.join(dir, 'folder.csv');
      fs.mkdirSync(folderPath, { recursive: true });
      const folder = await cli(['flash', '--port', a.path, '--report', folderPath, '0x10000', appFile]);
      assert.equal(folder.code, 2);
      assert.match(folder.err, /folder\.csv is a folder/);
      assert.equal(a.chip.stats.bytesIn, 0, 'the chip was contacted');
      const both = await cli(['flash', '--watch', '--retry-failed', path.join(dir, 'x.jsonl'), '--ports', 'auto', '0x10000', appFile], { signal: new AbortController().signal });
      assert.equal(both.code, 2);
      assert.match(both.err, /--watch and --retry-failed do not go together/);
    });
  });
});
