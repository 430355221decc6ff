import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import pako from 'pako';
import { chipFacts } from '../../../src/core/chips';
import { prepareSegment } from '../../../src/core/flash/prepare_segments';
import { SegmentWriteError, inflatedBlockSizes, writeSegment } from '../../../src/core/flash/segment_writer';
import { LoaderConnection } from '../../../src/core/protocol/loader_connection';
import { LoaderSession } from '../../../src/core/protocol/loader_session';
import { Op } from '../../../src/core/protocol/opcodes';
import { ESP_FLASHER_STUB_1_2_2 } from '../../../src/core/protocol/stub_capabilities';
import { FakeTransport, resp, type Request } from '../protocol/fake_transport';

const c3 = chipFacts('esp32c3');

function session(t: FakeTransport, stub: boolean): LoaderSession {
  const s = new LoaderSession(new LoaderConnection(t));
  s.chip = c3;
  s.isStub = stub;
  if (stub) s.stub = ESP_FLASHER_STUB_1_2_2;
  return s;
}

function prep(bytes: Uint8Array, stub: boolean, encrypt: 'off' | 'device' = 'off', compress = true) {
  return prepareSegment({ name: 'app', offset: 0x10000, bytes, encrypt }, 0, {
    loader: { chip: c3, stub: stub ? ESP_FLASHER_STUB_1_2_2 : undefined, secureDownloadMode: false },
    secureBoot: false,
    compress,
  });
}

/** Deterministic data that deflates to about half: 32 hash bytes, then 32 spaces, repeated. */
function data(n: number): Uint8Array {
  const b = new Uint8Array(n).fill(0x20);
  for (let at = 0, i = 0; at < n; at += 64, i++) b.set(createHash('sha256').update(String(i)).digest().subarray(0, Math.min(32, n - at)), at);
  return b;
}

const ops = (reqs: Request[]) => reqs.map((r) => r.op);
const seqOf = (r: Request) => Buffer.from(r.data).readUInt32LE(4);

describe('segment writer', () => {
  it('stub: sends the next block before the previous ACK arrives (pipelined), ends with FLASH_DEFL_END {1}', async () => {
    const log: string[] = [];
    const t = new FakeTransport((req, dev) => {
      if (req.op === Op.FLASH_DEFL_DATA) {
        log.push(`recv ${seqOf(req)}`);
        setTimeout(() => {
          log.push(`ack ${seqOf(req)}`);
          dev.deliver(resp(req.op, { status: [0, 0] }));
        }, 5);
        return [];
      }
      return [resp(req.op, { status: [0, 0] })];
    });
    const p = prep(data(200_000), true);
    assert.equal(p.method, 'compressed');
    const progress: number[] = [];
    const r = await writeSegment(session(t, true), p, { onProgress: (x) => progress.push(x.written) });
    const blocks = Math.ceil(p.compressed!.length / 0x4000);
    assert.ok(blocks >= 3);
    assert.equal(log[0], 'recv 0');
    assert.equal(log[1], 'recv 1', `block 1 must go out before ACK 0: ${log.join(', ')}`);
    assert.equal(progress[progress.length - 1], p.data.length);
    assert.equal(r.sentBytes, p.compressed!.length);
    const begin = t.requests[0];
    assert.equal(begin.op, Op.FLASH_DEFL_BEGIN);
    assert.deepEqual([...begin.data], [...Buffer.from(new Uint32Array([p.data.length, blocks, 0x4000, 0x10000]).buffer)]);
    const end = t.requests[t.requests.length - 1];
    assert.equal(end.op, Op.FLASH_DEFL_END);
    assert.deepEqual([...end.data], [1, 0, 0, 0]);
  });

  it('stub: a block rejected while another is in flight restarts the segment from BEGIN', async () => {
    let rejected = false;
    const warnings: string[] = [];
    const t = new FakeTransport((req) => {
      if (req.op === Op.FLASH_DEFL_DATA && seqOf(req) === 1 && !rejected) {
        rejected = true;
        return [resp(req.op, { status: [0xc1, 0] })];
      }
      return [resp(req.op, { status: [0, 0] })];
    });
    const p = prep(data(200_000), true);
    await writeSegment(session(t, true), p, { onWarning: (m) => warnings.push(m) });
    assert.equal(ops(t.requests).filter((o) => o === Op.FLASH_DEFL_BEGIN).length, 2);
    assert.match(warnings[0], /^segment "app" block 1 at 0x14000: FLASH_DEFL_DATA failed — stub error 0xc100: bad data checksum — restarting segment "app" from its start \(attempt 2 of 3\)\.$/);
  });

  it('stub: a write error reported with END fails the segment', async () => {
    const t = new FakeTransport((req) => [resp(req.op, { status: req.op === Op.FLASH_DEFL_END ? [0xc4, 0] : [0, 0] })]);
    await assert.rejects(writeSegment(session(t, true), prep(data(50_000), true)), (e: unknown) => {
      assert.ok(e instanceof SegmentWriteError);
      assert.equal(e.segment, 'app');
      assert.match(e.message, /finishing segment "app" at 0x10000: FLASH_DEFL_END failed — stub error 0xc400: failed SPI operation/);
      return true;
    });
  });

  it('ROM: 0x400 blocks, last padded with 0xFF, stop-and-wait, no FLASH_END', async () => {
    const t = new FakeTransport((req) => [resp(req.op)]);
    const bytes = new Uint8Array(0x900).fill(0x42);
    const p = prep(bytes, false, 'off', false);
    await writeSegment(session(t, false), p);
    assert.deepEqual(ops(t.requests), [Op.FLASH_BEGIN, Op.FLASH_DATA, Op.FLASH_DATA, Op.FLASH_DATA]);
    assert.deepEqual([...t.requests[0].data], [...Buffer.from(new Uint32Array([0x900, 3, 0x400, 0x10000, 0]).buffer)]);
    const last = t.requests[3].data;
    assert.equal(Buffer.from(last).readUInt32LE(0), 0x400);
    assert.ok(last.subarray(16 + 0x100).every((b) => b === 0xff));
    assert.equal(t.requests[3].checksum, last.subarray(16).reduce((c, b) => c ^ b, 0xef));
  });

  it('ROM: FLASH_DEFL_BEGIN announces the size rounded up to 0x400 and re-sends a block rejected with a checksum error', async () => {
    let n = 0;
    const t = new FakeTransport((req) => [resp(req.op, { status: req.op === Op.FLASH_DEFL_DATA && n++ === 0 ? [1, 7, 0, 0] : [0, 0, 0, 0] })]);
    const p = prep(data(3000), false);
    assert.equal(p.method, 'compressed');
    await writeSegment(session(t, false), p);
    assert.equal(Buffer.from(t.requests[0].data).readUInt32LE(0), 0xc00);
    const dataReqs = t.requests.filter((r) => r.op === Op.FLASH_DEFL_DATA);
    assert.equal(seqOf(dataReqs[0]), 0);
    assert.equal(seqOf(dataReqs[1]), 0);
  });

  it('knows how many bytes each compressed block expands to', () => {
    const raw = data(100_000);
    const z = pako.deflate(raw, { level: 9 });
    const sizes = inflatedBlockSizes(z, 0x400);
    assert.equal(sizes.length, Math.ceil(z.length / 0x400));
    assert.equal(sizes.reduce((a, b) => a + b, 0), raw.length);
  });
});
