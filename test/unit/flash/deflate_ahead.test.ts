import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import pako from 'pako';
import { zlibStream } from '../../../src/core/flash/zlib_stream';
import { chipFacts } from '../../../src/core/chips';
import { ESP_FLASHER_STUB_1_2_2 } from '../../../src/core/protocol/stub_capabilities';
import { deflateAhead, dropAhead, finishWireLayout, prepareSegment, type PrepareContext } from '../../../src/core/flash/prepare_segments';

const loader = { chip: chipFacts('esp32c6'), stub: ESP_FLASHER_STUB_1_2_2, secureDownloadMode: false };
const ctx: PrepareContext = { loader, secureBoot: false, compress: true, deferCompression: true };

function data(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => ((i * 7) ^ (i >> 9)) & 0xff);
}

describe('compression ahead of writing (deflateAhead / finishWireLayout)', () => {
  it('deferred: nothing is compressed until finishWireLayout, which gives the same stream as zlibStream', async () => {
    const bytes = data(300_000);
    const p = prepareSegment({ name: 'app', offset: 0x10000, bytes, encrypt: 'off' }, 0, ctx);
    assert.equal(p.compressionPending, true);
    assert.equal(p.compressed, undefined);
    const done = await finishWireLayout(p, loader);
    assert.equal(done.compressionPending, undefined);
    assert.equal(done.method, 'compressed');
    assert.ok(Buffer.from(done.compressed!).equals(Buffer.from(zlibStream(bytes))));
  });

  it('started ahead on a worker thread: the same stream, taken by finishWireLayout', async () => {
    const bytes = data(200_000);
    deflateAhead([bytes]);
    const p = prepareSegment({ name: 'app', offset: 0x10000, bytes, encrypt: 'off' }, 0, ctx);
    const done = await finishWireLayout(p, loader);
    assert.ok(Buffer.from(done.compressed!).equals(Buffer.from(zlibStream(bytes))));
    dropAhead([bytes]);
  });

  it('dropped before it finished: finishWireLayout compresses again and the result is still right', async () => {
    const bytes = data(500_000);
    deflateAhead([bytes]);
    dropAhead([bytes]);
    const p = prepareSegment({ name: 'app', offset: 0x10000, bytes, encrypt: 'off' }, 0, ctx);
    const done = await finishWireLayout(p, loader);
    assert.deepEqual(Buffer.from(pako.inflate(done.compressed!)), Buffer.from(bytes));
  });

  it('incompressible data falls back to an uncompressed write after the deferred compression', async () => {
    const bytes = new Uint8Array(randomBytes(40_000));
    const p = prepareSegment({ name: 'rnd', offset: 0x10000, bytes, encrypt: 'off' }, 0, ctx);
    const done = await finishWireLayout(p, loader);
    assert.equal(done.method, 'plain');
    assert.equal(done.compressed, undefined);
  });

  it('the same bytes asked for by two jobs: one compression they share; one job dropping it leaves it to the other', async () => {
    const a = data(400_000);
    const b = Uint8Array.from(a);
    deflateAhead([a]);
    deflateAhead([b]);
    dropAhead([a]);
    const p = prepareSegment({ name: 'app', offset: 0x10000, bytes: b, encrypt: 'off' }, 0, ctx);
    const done = await finishWireLayout(p, loader);
    assert.ok(Buffer.from(done.compressed!).equals(Buffer.from(zlibStream(a))));
    dropAhead([b]);
  });
});
