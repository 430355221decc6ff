/**
 * A flash job's use of the device cache (cache_confirm.ts) against an in-process virtual chip
 * on its ROM loader: what the chip is asked (SPI_FLASH_MD5 requests), what the cache answers,
 * the notes it emits, and the record it stores.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { openJobCache, type CacheSession, type JobCache } from '../../../src/core/flash/cache_confirm';
import type { DeviceCacheStore } from '../../../src/core/flash/device_cache';
import type { FlashEvent } from '../../../src/core/flash/events';
import { flashSegmentsOver } from '../../../src/core/flash/flash_job';
import { LoaderConnection } from '../../../src/core/protocol/loader_connection';
import { LoaderSession } from '../../../src/core/protocol/loader_session';
import { VirtualChip } from '../../../src/sim/virtual_chip';

const SPI_FLASH_MD5 = 0x13;
const AT = 0x10000;
const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 131 + seed + (i >> 8)) & 0xff);

/** Records in memory; `failRead` / `failWrite` make the store throw. */
function memoryStore(): DeviceCacheStore & { texts: Map<string, string>; writes: number; failRead?: boolean; failWrite?: boolean } {
  const s = {
    texts: new Map<string, string>(),
    writes: 0,
    failRead: false,
    failWrite: false,
    where: (key: string) => `memory:${key}`,
    read: async (key: string) => {
      if (s.failRead) throw new Error('permission denied');
      return s.texts.get(key);
    },
    write: async (key: string, text: string) => {
      if (s.failWrite) throw new Error('disk full');
      s.writes++;
      s.texts.set(key, text);
    },
  };
  return s;
}

describe('device cache in a flash job (cache_confirm)', () => {
  let chip: VirtualChip;
  let s: CacheSession;
  let md5s: number;
  let events: FlashEvent[];
  let store: ReturnType<typeof memoryStore>;
  const emit = (e: FlashEvent) => events.push(e);
  const open = async (): Promise<JobCache> => {
    const c = await openJobCache(store, s, emit);
    assert.ok(c, 'a cache for a device with chip, MAC and flash ID');
    return c;
  };
  /** A job that left `image` at AT verified (as after a write, or a skip). */
  const previousJob = async (image: Uint8Array) => {
    chip.preloadFlash(AT, image);
    const c = await open();
    c.noteVerified(AT, image);
    await c.save();
  };
  const segment = (expected: Uint8Array) => ({ name: 'app', offset: AT, expected, expectedMd5: md5(expected) });

  beforeEach(() => {
    chip = new VirtualChip({ chip: 'esp32c3', resetLines: false, bootLog: false });
    chip.onTrace((e) => {
      if (e.op === SPI_FLASH_MD5) md5s++;
    });
    s = { chip: { name: 'esp32c3' }, mac: '60:55:f9:00:00:01', flashId: 0x16405e, session: new LoaderSession(new LoaderConnection(chip.transport())) };
    md5s = 0;
    events = [];
    store = memoryStore();
  });
  afterEach(() => chip.close());

  it('needs the device identity: no MAC or no flash ID, or no store, gives no cache', async () => {
    assert.equal(await openJobCache(store, { ...s, mac: undefined }, emit), undefined);
    assert.equal(await openJobCache(store, { ...s, flashId: undefined }, emit), undefined);
    assert.equal(await openJobCache(undefined, s, emit), undefined);
  });

  it('no record yet: no answer and nothing asked of the chip; the verified region is stored', async () => {
    const image = bytes(0x5000, 1);
    const c = await open();
    assert.equal(await c.compare(segment(image)), undefined);
    assert.equal(md5s, 0);
    c.noteVerified(AT, image);
    await c.save();
    const [text] = [...store.texts.values()];
    const record = JSON.parse(text) as { regions: { offset: number; length: number; md5: string }[] };
    assert.deepEqual(
      record.regions.map((g) => [g.offset, g.length, g.md5]),
      [[AT, image.length, md5(image)]],
    );
    assert.deepEqual(events, []);
  });

  it('confirmed by one MD5 of the flash: the changed sectors are found locally', async () => {
    const image = bytes(0x5000, 2);
    await previousJob(image);
    const changed = Uint8Array.from(image);
    changed[0x2010] ^= 0xff; // the sector at 0x12000
    changed[0x4fff] ^= 0x01; // the sector at 0x14000
    const c = await open();
    const answer = await c.compare(segment(changed));
    assert.ok(answer);
    assert.equal(answer.identical, false);
    assert.deepEqual(answer.ranges, [
      { start: 0x12000, end: 0x13000 },
      { start: 0x14000, end: 0x15000 },
    ]);
    assert.equal(answer.changed, 2);
    assert.equal(answer.total, 5);
    assert.equal(answer.how, 'device cache confirmed by one MD5 of the flash');
    assert.equal(md5s, 1);
    assert.deepEqual(events, []);
  });

  it('confirmed and the same bytes: identical, one MD5', async () => {
    const image = bytes(0x3000, 3);
    await previousJob(image);
    const answer = await (await open()).compare(segment(image));
    assert.equal(answer?.identical, true);
    assert.equal(md5s, 1);
  });

  it('refuted by a different MD5: no answer (the job compares with the flash), a note, and the region is dropped from the record', async () => {
    const image = bytes(0x4000, 4);
    await previousJob(image);
    chip.preloadFlash(0x11000, new Uint8Array(0x1000).fill(0x11)); // another tool wrote here
    const changed = Uint8Array.from(image);
    changed[0] ^= 0x01;
    const c = await open();
    assert.equal(await c.compare(segment(changed)), undefined);
    assert.equal(md5s, 1);
    assert.deepEqual(
      events.map((e) => e.kind),
      ['cache'],
    );
    assert.match(
      (events[0] as { message: string }).message,
      /^The flash at 0x10000–0x14000 no longer holds what ESP Flasher last wrote there \(erased or written since, by another tool or command\): comparing segment "app" with the flash\.$/,
    );
    await c.save();
    const next = await open();
    assert.equal(await next.compare(segment(changed)), undefined);
    assert.equal(md5s, 1, 'a refuted region is not asked about again');
  });

  it('out of date, but the flash already holds the new bytes: identical by the same MD5', async () => {
    const old = bytes(0x3000, 5);
    const next = bytes(0x3000, 6);
    await previousJob(old);
    chip.preloadFlash(AT, next);
    const answer = await (await open()).compare(segment(next));
    assert.equal(answer?.identical, true);
    assert.equal(answer?.how, 'the device cache was out of date, but one MD5 of the flash matched');
    assert.equal(md5s, 1);
    assert.deepEqual(events, []);
  });

  it('the early confirming MD5 is taken by the segment at its offset: no second request', async () => {
    const image = bytes(0x3000, 7);
    await previousJob(image);
    const c = await open();
    c.startEarlyConfirm(AT);
    await c.settleEarly();
    assert.equal(md5s, 1);
    const answer = await c.compare(segment(image));
    assert.equal(answer?.identical, true);
    assert.equal(md5s, 1);
    c.startEarlyConfirm(0x200000); // nothing cached there: nothing sent
    await c.settleEarly();
    assert.equal(md5s, 1);
  });

  it('a region the job wrote without verifying is dropped; a record the job left unchanged is not written again', async () => {
    const image = bytes(0x3000, 8);
    await previousJob(image);
    assert.equal(store.writes, 1);
    const same = await open();
    await same.save();
    assert.equal(store.writes, 1);
    const c = await open();
    c.noteTouched(0x11000, 0x11800);
    await c.save();
    await c.save();
    assert.equal(store.writes, 2);
    assert.equal(await (await open()).compare(segment(image)), undefined);
    assert.equal(md5s, 0);
  });

  it('an unreadable or unusable record is reported and ignored; a failed write is a warning', async () => {
    store.failRead = true;
    const c = await open();
    assert.match(
      (events[0] as { message: string }).message,
      /^The device cache memory:esp32c3-6055f9000001-16405e cannot be read \(permission denied\): comparing with the flash instead\.$/,
    );
    store.failRead = false;
    assert.equal(await c.compare(segment(bytes(0x1000, 9))), undefined);
    store.texts.set('esp32c3-6055f9000001-16405e', '{"format":');
    await open();
    assert.match((events[1] as { message: string }).message, /is unusable \(not JSON .*\): comparing with the flash instead; it is written afresh\.$/);
    store.failWrite = true;
    const w = await open();
    w.noteVerified(AT, bytes(0x1000, 10));
    await w.save();
    assert.deepEqual(
      events.map((e) => e.kind),
      ['cache', 'cache', 'cache', 'warning'],
    );
    assert.match((events[3] as { message: string }).message, /could not be written: disk full/);
  });
});

describe('device cache in the whole flash job (in-process virtual chip)', () => {
  const run = async (chip: VirtualChip, store: DeviceCacheStore, bytes: Uint8Array) => {
    // The last job left the stub running at its baud: back to the ROM loader (the board's IO0 is held low).
    chip.reset('download');
    let md5s = 0;
    const off = chip.onTrace((e) => {
      if (e.op === SPI_FLASH_MD5) md5s++;
    });
    const events: FlashEvent[] = [];
    // Not a "virtual:" port name: the job keeps a cache for it as for a real device.
    const port = { transport: chip.transport(), close: async () => undefined };
    const r = await flashSegmentsOver(port, [{ name: 'app', offset: AT, bytes, encrypt: 'off' }], {
      port: 'in-process-test',
      before: 'no-reset',
      after: 'no-reset',
      chip: 'esp32c3',
      deviceCache: store,
      onEvent: (e) => events.push(e),
    });
    off();
    assert.equal(r.ok, true, r.error);
    assert.ok(Buffer.from(chip.readFlash(AT, bytes.length)).equals(Buffer.from(bytes)), 'the flash does not hold the image');
    return { r, md5s, events };
  };
  let chip: VirtualChip;
  beforeEach(() => (chip = new VirtualChip({ chip: 'esp32c3', resetLines: false, bootLog: false })));
  afterEach(() => chip.close());

  it('confirmed: only the changed sector is written, the skip line says how; refuted: the job compares with the flash', async () => {
    const store = memoryStore();
    const image = bytes(0x8000, 11);
    await run(chip, store, image);
    const changed = Uint8Array.from(image);
    changed[0x3000] ^= 0x01; // the sector at 0x13000
    const one = await run(chip, store, changed);
    assert.equal(one.r.segments[0].changedSectors, 1);
    assert.equal(one.md5s, 2, 'one MD5 confirms the cache, one verifies the sector written');
    const start = one.events.find((e) => e.kind === 'segment-start');
    assert.match(start && start.kind === 'segment-start' ? start.method : '', /only the changed sectors: .*\(device cache confirmed by one MD5 of the flash\)/);
    const same = await run(chip, store, changed);
    const skipped = same.events.find((e) => e.kind === 'skipped');
    assert.equal(skipped && skipped.kind === 'skipped' ? skipped.how : undefined, 'device cache confirmed by one MD5 of the flash');

    chip.preloadFlash(0x15000, new Uint8Array(0x1000).fill(0x22)); // another tool wrote here
    const again = await run(chip, store, changed);
    assert.equal(again.events.filter((e) => e.kind === 'cache').length, 1, 'one note: the cache was refuted');
    assert.equal(again.r.segments[0].changedSectors, 1);
    assert.ok(again.md5s > 2, `${again.md5s} MD5 requests: the comparison with the flash ran`);
  });
});
