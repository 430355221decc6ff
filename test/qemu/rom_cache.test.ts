/**
 * The real-ROM ring, device cache through the ROM loader (no stub): Espressif's QEMU runs the
 * ESP32 (ECO3) and ESP32-C3 mask ROMs; the core's flash job talks to them through the real
 * serialport binding (a socat pseudo-terminal), with a device cache of its own (a temporary
 * folder) and a tap on the wire that decodes every request frame the host sends.
 *
 * Per chip: a fresh flash through the ROM loader; the same build again, confirmed by the ROM's
 * own SPI_FLASH_MD5 — exactly one per segment, over the cached region, and not one write
 * command; then the app with one sector changed (a padding byte of its last sector and the
 * appended SHA-256 after it: still a valid image): exactly that sector is written (one BEGIN at
 * its offset), verified with one more MD5, the flash holds the new bytes and nothing else moved,
 * and the chip boots it (its bootloader checks the new SHA-256).
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FlashResult, WriteSegment } from '../../src/core/flash/api';
import { fileDeviceCache, type DeviceCacheStore } from '../../src/core/flash/device_cache';
import type { FlashEvent } from '../../src/core/flash/events';
import { flashSegmentsOver } from '../../src/core/flash/flash_job';
import { segmentsFromPlan } from '../../src/core/flash/segments_from_plan';
import { checksumPosition, parseImage } from '../../src/core/formats/image_parse';
import type { FlashSettings } from '../../src/core/plan/flash_plan';
import { readProject } from '../../src/core/project/read_project';
import { FLASH_SECTOR, Op, opName } from '../../src/core/protocol/opcodes';
import { SlipDecoder } from '../../src/core/protocol/slip';
import { openDevicePath } from '../../src/core/transport/open_port';
import { CountingTransport } from '../../src/core/transport/counting_transport';
import { CORPUS, QemuDownload, Workspace, bootCheck, describeRing, type QemuChip } from './qemu_ring';

const CONFIRMED = 'device cache confirmed by one MD5 of the flash';
const WRITE_OPS: ReadonlySet<number> = new Set([
  Op.FLASH_BEGIN,
  Op.FLASH_DATA,
  Op.FLASH_END,
  Op.FLASH_DEFL_BEGIN,
  Op.FLASH_DEFL_DATA,
  Op.FLASH_DEFL_END,
  Op.ERASE_FLASH,
  Op.ERASE_REGION,
  Op.FLASH_ENCRYPT_DATA,
]);

/** One request the host sent: opcode and its first words. */
interface Request {
  op: number;
  words: number[];
}

/** The serial transport, with every request frame the host writes decoded (SLIP, then §1.2 header). */
class TappedTransport extends CountingTransport {
  readonly requests: Request[] = [];
  private readonly slip = new SlipDecoder();

  override async write(data: Uint8Array): Promise<void> {
    this.slip.push(data);
    for (let item = this.slip.take(); item; item = this.slip.take()) {
      if (item.kind !== 'frame' || item.data.length < 8 || item.data[0] !== 0x00) continue;
      const body = Buffer.from(item.data.subarray(8));
      const words: number[] = [];
      for (let at = 0; at + 4 <= Math.min(body.length, 20); at += 4) words.push(body.readUInt32LE(at));
      this.requests.push({ op: item.data[1], words });
    }
    await super.write(data);
  }
}

interface RomRun {
  result: FlashResult;
  events: FlashEvent[];
  requests: Request[];
}

const hex = (n: number) => `0x${n.toString(16)}`;
const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

/** What a run did, for failure messages. */
function show(r: RomRun): string {
  const events = r.events
    .filter((e) => e.kind !== 'progress')
    .map((e) => JSON.stringify(e))
    .join('\n');
  const ops = new Map<string, number>();
  for (const q of r.requests) ops.set(opName(q.op), (ops.get(opName(q.op)) ?? 0) + 1);
  return `${r.result.error ?? 'ok'}\n--- events\n${events}\n--- requests\n${[...ops].map(([k, n]) => `${k} ×${n}`).join(', ')}`;
}

/**
 * The same app image with one byte of its footer padding changed (between the last segment and
 * the checksum byte; the checksum does not cover it, the appended SHA-256 does) and the SHA-256
 * recomputed: a valid image that differs only in its last 4 KiB sector.
 */
function withChangedLastSector(app: Uint8Array): { bytes: Uint8Array; at: number } {
  const info = parseImage(app).info;
  assert.ok(info?.hashAppended, 'the corpus app has an appended SHA-256');
  const last = info.segments[info.segments.length - 1];
  const end = last.dataOffset + last.length;
  const cs = checksumPosition(end);
  assert.ok(cs > end, `the corpus app has footer padding before its checksum (segments end at ${hex(end)})`);
  const bytes = Uint8Array.from(app);
  bytes[end] ^= 0xa5;
  bytes.set(
    createHash('sha256')
      .update(bytes.subarray(0, cs + 1))
      .digest(),
    cs + 1,
  );
  const check = parseImage(bytes).info!;
  assert.ok(check.checksum.ok && check.sha256?.ok, 'the changed app is still a valid image');
  assert.equal(Math.floor(end / FLASH_SECTOR), Math.floor((cs + 32) / FLASH_SECTOR), 'padding and digest share the last sector');
  return { bytes, at: end };
}

/** The run used the ROM loader: no stub was uploaded (no MEM_* command on the wire). */
function onRom(r: RomRun): void {
  assert.ok(
    r.events.some((e) => e.kind === 'stub' && !e.running),
    show(r),
  );
  assert.ok(!r.requests.some((q) => q.op === Op.MEM_BEGIN || q.op === Op.MEM_DATA || q.op === Op.MEM_END), `no stub was uploaded\n${show(r)}`);
}

/** Where two flash images differ: up to 8 ranges "0x1000–0x1010". */
function differences(a: Uint8Array, b: Uint8Array): string[] {
  const out: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length) && out.length < 8; i++) {
    if (a[i] === b[i]) continue;
    let k = i;
    while (k < Math.max(a.length, b.length) && a[k] !== b[k]) k++;
    out.push(`${hex(i)}–${hex(k)}`);
    i = k;
  }
  return out;
}

/** Ranges outside the segments that are not erased (0xFF) on a flash that started blank. */
function notBlankOutside(flash: Uint8Array, segments: WriteSegment[]): string[] {
  const covered = new Uint8Array(flash.length);
  for (const s of segments) covered.fill(1, s.offset, s.offset + s.bytes.length);
  const out: string[] = [];
  for (let i = 0; i < flash.length && out.length < 8; i++) {
    if (covered[i] || flash[i] === 0xff) continue;
    let k = i;
    while (k < flash.length && !covered[k] && flash[k] !== 0xff) k++;
    out.push(`${hex(i)}–${hex(k)}`);
    i = k;
  }
  return out;
}

interface Case {
  chip: QemuChip;
  build: string;
  efuse: string;
  appName: string;
}

const CASES: Case[] = [
  { chip: 'esp32', build: path.join(CORPUS, '12-esp32-idf4.1-stub-TRUE'), efuse: 'efuse-esp32-eco3-mac.bin', appName: 'app' },
  { chip: 'esp32c3', build: path.join(CORPUS, '11-esp32c3-storage'), efuse: 'efuse-esp32c3-v04-mac.bin', appName: 'app' },
];

describeRing('real-ROM ring (QEMU): device cache through the ROM loader', 900_000, () => {
  const cleanup: (() => void)[] = [];

  after(() => {
    for (const c of cleanup) c();
  });

  /** Start the chip in download mode, run one flash job through its ROM loader (115200, no stub), stop the chip. */
  async function romFlash(chip: QemuChip, ws: Workspace, segments: WriteSegment[], settings: FlashSettings, cache: DeviceCacheStore): Promise<RomRun> {
    const dev = await QemuDownload.start(chip, ws);
    try {
      const tap = new TappedTransport(await openDevicePath(dev.tty, 115200));
      const events: FlashEvent[] = [];
      const result = await flashSegmentsOver({ transport: tap, close: () => tap.close() }, segments, {
        port: dev.tty,
        baud: 115200,
        before: 'no-reset',
        after: 'no-reset',
        stub: false,
        settings,
        deviceCache: cache,
        onEvent: (e) => events.push(e),
      });
      return { result, events, requests: tap.requests };
    } finally {
      await dev.stop();
    }
  }

  for (const c of CASES) {
    it(`${c.chip}: a re-flash through the ROM loader is confirmed by the ROM's SPI_FLASH_MD5 (one per segment, nothing written); one changed app sector is all that is written, and it boots`, async () => {
      const ws = new Workspace(c.efuse);
      const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'esp-rom-cache-'));
      cleanup.push(
        () => ws.remove(),
        () => fs.rmSync(cacheDir, { recursive: true, force: true }),
      );
      const cache = fileDeviceCache(cacheDir);
      const { plan } = await readProject(c.build);
      assert.ok(plan.segments.length >= 3, `${c.build}: ${plan.segments.length} segments`);
      const segments = segmentsFromPlan(plan, 'plain', 'device');
      const settings = plan.settings;

      // 1. A fresh flash through the ROM loader: every segment written and verified, the cache recorded.
      const first = await romFlash(c.chip, ws, segments, settings, cache);
      assert.ok(first.result.ok, show(first));
      onRom(first);
      for (const s of first.result.segments) assert.ok(s.status === 'written' && s.verified, `${s.name}: ${s.status}\n${show(first)}`);
      const records = fs.readdirSync(cacheDir).filter((f) => f.endsWith('.json'));
      assert.equal(records.length, 1, `one device record in ${cacheDir}: ${records.join(', ')}`);
      const flashed = ws.flashBytes();
      // Nothing but the segments was written (the ESP32 ROM's compressed write overruns its end: romDeflateOverrun).
      assert.deepEqual(notBlankOutside(flashed, segments), [], show(first));

      // 2. Unchanged, through the ROM loader again: one SPI_FLASH_MD5 per segment over exactly
      // the cached region, every segment skipped as confirmed by the cache, no write command.
      const again = await romFlash(c.chip, ws, segments, settings, cache);
      assert.ok(again.result.ok, show(again));
      onRom(again);
      for (const s of again.result.segments) assert.equal(s.status, 'skipped', `${s.name}\n${show(again)}`);
      const skipped = again.events.filter((e) => e.kind === 'skipped');
      assert.equal(skipped.length, segments.length, show(again));
      for (const e of skipped) assert.equal(e.kind === 'skipped' && e.how, CONFIRMED, show(again));
      assert.ok(!again.events.some((e) => e.kind === 'cache'), `the cache was used as it was\n${show(again)}`);
      const md5s = again.requests.filter((q) => q.op === Op.SPI_FLASH_MD5).map((q) => `${hex(q.words[0])}+${hex(q.words[1])}`);
      const regions = segments.map((s) => `${hex(s.offset)}+${hex(s.bytes.length)}`);
      assert.deepEqual([...md5s].sort(), [...regions].sort(), show(again));
      const writes = again.requests.filter((q) => WRITE_OPS.has(q.op)).map((q) => opName(q.op));
      assert.deepEqual(writes, [], show(again));
      assert.ok(ws.flashBytes().equals(flashed), 'the flash is unchanged');

      // 3. One sector of the app changed: only that sector is written (one BEGIN at its offset,
      // of its length), verified by one more MD5 of that range; nothing else on flash moves.
      const appIndex = segments.findIndex((s) => s.name === c.appName);
      assert.ok(appIndex >= 0, `segments: ${segments.map((s) => s.name).join(', ')}`);
      const app = segments[appIndex];
      const changed = withChangedLastSector(app.bytes);
      const next = segments.map((s, i) => (i === appIndex ? { ...s, bytes: changed.bytes } : s));
      const sector = Math.floor((app.offset + changed.at) / FLASH_SECTOR) * FLASH_SECTOR;
      const sectorEnd = Math.min(sector + FLASH_SECTOR, app.offset + app.bytes.length);
      const third = await romFlash(c.chip, ws, next, settings, cache);
      assert.ok(third.result.ok, show(third));
      onRom(third);
      const appResult = third.result.segments[appIndex];
      assert.equal(appResult.status, 'written', show(third));
      assert.ok(appResult.verified, show(third));
      assert.equal(appResult.changedSectors, 1, show(third));
      assert.equal(appResult.totalSectors, Math.ceil(app.bytes.length / FLASH_SECTOR), show(third));
      for (const s of third.result.segments) if (s !== appResult) assert.equal(s.status, 'skipped', `${s.name}\n${show(third)}`);
      const begins = third.requests.filter((q) => q.op === Op.FLASH_BEGIN || q.op === Op.FLASH_DEFL_BEGIN);
      assert.equal(begins.length, 1, show(third));
      assert.equal(begins[0].words[3], sector, `BEGIN offset\n${show(third)}`);
      // FLASH_BEGIN: bytes to erase; the ROM's FLASH_DEFL_BEGIN: the uncompressed size in whole 1 KiB blocks.
      assert.ok(begins[0].words[0] >= sectorEnd - sector && begins[0].words[0] <= FLASH_SECTOR, `BEGIN size ${hex(begins[0].words[0])}\n${show(third)}`);
      const md5sThird = third.requests.filter((q) => q.op === Op.SPI_FLASH_MD5).map((q) => `${hex(q.words[0])}+${hex(q.words[1])}`);
      assert.deepEqual([...md5sThird].sort(), [...regions, `${hex(sector)}+${hex(sectorEnd - sector)}`].sort(), show(third));
      const want = Buffer.from(flashed);
      want.set(changed.bytes.subarray(sector - app.offset, sectorEnd - app.offset), sector);
      const now = ws.flashBytes();
      assert.equal(md5(now.subarray(sector, sectorEnd)), md5(changed.bytes.subarray(sector - app.offset, sectorEnd - app.offset)), 'the sector holds the new bytes');
      assert.deepEqual(differences(now, want), [], `nothing but ${hex(sector)}–${hex(sectorEnd)} changed on flash\n${show(third)}`);

      const boot = await bootCheck(c.chip, ws, 40);
      assert.ok(boot.ok, `boot check: ${boot.verdict}\n${boot.log}`);
    });
  }
});
