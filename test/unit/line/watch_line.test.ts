import { strict as assert } from 'node:assert';
import type { FlashOptions, FlashResult, WriteSegment } from '../../../src/core/flash/api';
import { watchLine } from '../../../src/core/line/watch_line';
import type { ListedPort } from '../../../src/core/transport/usb_bridges';

const bridged = (path: string, serial: string): ListedPort => ({ path, serialNumber: serial, vendorId: '10c4', productId: 'ea60' });
const result = (ok: boolean): FlashResult => ({ ok, segments: [], seconds: 0.01, wireBytesOut: 0, wireBytesIn: 0, ...(ok ? {} : { error: 'unplugged' }) });
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves once `count()` has grown by `n` (deadline 10 s: a loaded machine is slow, not wrong). */
async function after(count: () => number, n: number): Promise<void> {
  const target = count() + n;
  const t0 = Date.now();
  while (count() < target) {
    if (Date.now() - t0 > 10_000) throw new Error('the watch stopped polling');
    await tick(2);
  }
}

describe('line/watch_line', () => {
  it('flashes each new device once by USB serial (even on another port); a failed one again only after it was unplugged', async () => {
    let listing: ListedPort[] = [];
    const flashed: string[] = [];
    let failNext = new Set<string>(['/dev/ttyUSB1']);
    const flash = async (_s: WriteSegment[], o: FlashOptions): Promise<FlashResult> => {
      flashed.push(o.port);
      const fail = failNext.has(o.port);
      failNext.delete(o.port);
      return result(!fail);
    };
    const abort = new AbortController();
    let polls = 0;
    const list = async (): Promise<ListedPort[]> => {
      polls++;
      return listing;
    };
    const watching = watchLine({ segments: [], options: {}, expect: {} }, { patterns: ['auto'], list, pollMs: 1, signal: abort.signal, flash });
    // Three polls per step: the first sees the change, the job ends, later ones must not repeat it.
    listing = [bridged('/dev/ttyUSB0', 'A'), { path: '/dev/ttyS0' }];
    await after(() => polls, 3);
    listing = [bridged('/dev/ttyUSB0', 'A'), bridged('/dev/ttyUSB1', 'B')];
    await after(() => polls, 3);
    assert.deepEqual(flashed, ['/dev/ttyUSB0', '/dev/ttyUSB1'], 'B failed and stays: no second attempt while it stays');
    listing = [bridged('/dev/ttyUSB3', 'A')]; // A re-plugged elsewhere, B unplugged
    await after(() => polls, 3);
    listing = [bridged('/dev/ttyUSB3', 'A'), bridged('/dev/ttyUSB1', 'B')]; // B back
    await after(() => polls, 3);
    abort.abort();
    const records = await watching;
    assert.deepEqual(flashed, ['/dev/ttyUSB0', '/dev/ttyUSB1', '/dev/ttyUSB1']);
    assert.deepEqual(
      records.map((r) => [r.usbSerial, r.result]),
      [
        ['A', 'ok'],
        ['B', 'failed'],
        ['B', 'ok'],
      ],
    );
    failNext = new Set();
  });

  it('a listing error is reported once and the watch goes on', async () => {
    const errors: string[] = [];
    let calls = 0;
    const abort = new AbortController();
    const watching = watchLine(
      { segments: [], options: {}, expect: {} },
      {
        patterns: ['auto'],
        list: async () => {
          calls++;
          throw new Error('udevadm missing');
        },
        pollMs: 5,
        signal: abort.signal,
        onListError: (m) => errors.push(m),
      },
    );
    await after(() => calls, 3);
    abort.abort();
    assert.deepEqual(await watching, []);
    assert.deepEqual(errors, ['udevadm missing']);
  });
});
