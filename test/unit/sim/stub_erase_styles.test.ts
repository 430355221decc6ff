/**
 * How each stub's erase schedule is modelled (src/sim/flash_write_session.ts StubEraseStyle),
 * on the session alone with a chip clock the test sets: which sectors get erased, and how much
 * of the erase time lands on the block's work rather than in the background.
 */
import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import pako from 'pako';
import { FlashMemory } from '../../../src/sim/flash_memory';
import { FlashOps } from '../../../src/sim/flash_ops';
import { FlashWriteSession, StubEraseStyle } from '../../../src/sim/flash_write_session';
import { newSimStats } from '../../../src/sim/sim_stats';
import { defaultTimings } from '../../../src/sim/timing_model';

const OFFSET = 0x10000;
const SIZE = 256 * 1024;
const BLOCK = 0x4000;

function session(style: StubEraseStyle, dirty: boolean) {
  const flash = new FlashMemory(4 * 1024 * 1024);
  if (dirty) flash.preload(0, crypto.randomBytes(1024 * 1024));
  const stats = newSimStats();
  const t = defaultTimings('esp32c6');
  const ops = new FlashOps(flash, stats, t);
  const data = new Uint8Array(crypto.randomBytes(SIZE));
  const z = pako.deflate(data, { level: 9 });
  const s = new FlashWriteSession(
    {
      offset: OFFSET,
      size: SIZE,
      blockSize: BLOCK,
      numBlocks: Math.ceil(z.length / BLOCK),
      compressed: true,
      encrypted: false,
      style: 'stub',
      encryptAlign: 16,
      eraseStyle: style,
    },
    ops,
    { cipher: () => undefined, allowed: () => true },
  );
  return { flash, stats, t, data, z, s };
}

/** BEGIN at 0, then every block `gapMs` after the previous one's work ended; the work ms per block. */
function run(x: ReturnType<typeof session>, gapMs: number): number[] {
  let now = 0;
  now += x.s.begin(now);
  const work: number[] = [];
  for (let at = 0; at < x.z.length; at += BLOCK) {
    now += gapMs;
    const ms = x.s.feed(x.z.subarray(at, at + BLOCK), false, now);
    work.push(ms);
    now += ms;
  }
  assert.equal(x.s.finish(), undefined);
  assert.ok(x.s.complete);
  assert.deepEqual(x.flash.read(OFFSET, SIZE), x.data, 'the flash holds the data');
  return work;
}

describe('virtual chip: stub erase schedules', () => {
  it('esp-flasher-stub v1.1+ (ahead-skip-blank) never erases a blank chip, and only reads each sector once', () => {
    const x = session('ahead-skip-blank', false);
    run(x, 180);
    assert.equal(x.stats.blocksErased + x.stats.sectorsErased, 0);
    const sectorRead = 4096 / x.t.flashReadBytesPerMs;
    assert.ok(Math.abs(x.stats.readMs - (SIZE / 4096) * sectorRead) < 1e-6, `read ${x.stats.readMs} ms`);
  });

  it('on a dirty chip it erases what it writes, in 64 KiB blocks, no slower than erasing on demand', () => {
    const ahead = session('ahead-skip-blank', true);
    const aheadWork = run(ahead, 180);
    const legacy = session('on-demand', true);
    const legacyWork = run(legacy, 180);
    for (const x of [ahead, legacy]) {
      assert.equal(x.stats.blocksErased, SIZE / 0x10000);
      assert.equal(x.stats.sectorsErased, 0);
    }
    // The legacy stub waits for each 64 KiB erase inside a block's work. esp-flasher-stub starts
    // the next erase step whenever the flash is idle as a block's work begins (the first at
    // BEGIN, while the first block is on the wire) — and a write then waits for an erase it
    // started ahead, so on a dirty chip it gains little.
    const sum = (a: number[]) => a.reduce((n, v) => n + v, 0);
    assert.ok(sum(aheadWork) <= sum(legacyWork) + 1, `legacy ${sum(legacyWork).toFixed(0)} ms, ahead ${sum(aheadWork).toFixed(0)} ms`);
    assert.ok(sum(legacyWork) >= (SIZE / 0x10000) * ahead.t.eraseBlockMs, 'the legacy stub waits for every erase');
  });

  it('with no time between blocks, erasing ahead saves nothing: the write still waits for its erase', () => {
    const ahead = session('ahead', true);
    const legacy = session('on-demand', true);
    const sum = (a: number[]) => a.reduce((n, v) => n + v, 0);
    const a = sum(run(ahead, 0));
    const l = sum(run(legacy, 0));
    assert.ok(a >= l - ahead.t.eraseBlockMs - 1, `ahead ${a.toFixed(0)} ms vs on demand ${l.toFixed(0)} ms`);
  });

  it('esp-flasher-stub v0.7 (ahead) erases a blank chip too; the legacy stub (on-demand) as well', () => {
    for (const style of ['ahead', 'on-demand'] as const) {
      const x = session(style, false);
      run(x, 180);
      assert.equal(x.stats.blocksErased, SIZE / 0x10000, style);
      assert.equal(x.stats.readMs, 0, style);
    }
  });
});
