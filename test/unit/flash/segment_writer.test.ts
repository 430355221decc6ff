import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { zlibStream } from '../../../src/core/flash/zlib_stream';
import { chipFacts } from '../../../src/core/chips';
import { prepareSegment } from '../../../src/core/flash/prepare_segments';
import { STUB_TAIL_BLOCK, SegmentWriteError, blockBounds, inflatedBlockSizes, stubPipelineDepth, writeSegment } from '../../../src/core/flash/segment_writer';
import { LoaderConnection } from '../../../src/core/protocol/loader_connection';
import { LoaderSession } from '../../../src/core/protocol/loader_session';
import { Op } from '../../../src/core/protocol/opcodes';
import { ESP_FLASHER_STUB_1_2_2, knownStubImages, UNKNOWN_STUB } from '../../../src/core/protocol/stub_capabilities';
import { FakeTransport, resp, type Request } from '../protocol/fake_transport';
import { CORPUS } from '../formats/shared_corpus';

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
  for (let at = 0, i = 0; at < n; at += 64, i++)
    b.set(
      createHash('sha256')
        .update(String(i))
        .digest()
        .subarray(0, Math.min(32, n - at)),
      at,
    );
  return b;
}

const ops = (reqs: Request[]) => reqs.map((r) => r.op);
/** Blocks of a stub's compressed write: whole 0x4000 blocks, the last one's final STUB_TAIL_BLOCK bytes apart. */
const stubBlocks = (n: number) => Math.ceil(n / 0x4000) + (n % 0x4000 === 0 || n % 0x4000 > STUB_TAIL_BLOCK ? 1 : 0);
const seqOf = (r: Request) => Buffer.from(r.data).readUInt32LE(4);

describe('segment writer', () => {
  it("blocks in flight beyond the awaited one: a stub's receive buffers less two, none for every known stub", () => {
    const s = session(new FakeTransport(), true);
    for (const release of [...knownStubImages().map((k) => k.release), UNKNOWN_STUB]) {
      s.stub = release;
      assert.equal(stubPipelineDepth(s), 0, release.name);
    }
    s.stub = { ...ESP_FLASHER_STUB_1_2_2, receiveBuffers: 4 };
    assert.equal(stubPipelineDepth(s), 2);
  });

  it('stub with pipelineDepth 1: sends the next block before the previous ACK arrives, ends with FLASH_DEFL_END {1}', async () => {
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
    const r = await writeSegment(session(t, true), p, { pipelineDepth: 1, onProgress: (x) => progress.push(x.written) });
    const blocks = stubBlocks(p.compressed!.length);
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

  it('stub by default: the next block goes out only after the previous ACK (one block besides the one the stub works on)', async () => {
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
    await writeSegment(session(t, true), p);
    const blocks = stubBlocks(p.compressed!.length);
    const expected = Array.from({ length: blocks }, (_, i) => [`recv ${i}`, `ack ${i}`]).flat();
    assert.deepEqual(log, expected);
  });

  it('stub: a block rejected while another is in flight restarts the segment from BEGIN, uncompressed, without doubling data', async () => {
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
    const s = session(t, true);
    await writeSegment(s, p, { pipelineDepth: 1, onWarning: (m) => warnings.push(m) });
    const reqs = ops(t.requests);
    assert.equal(reqs.filter((o) => o === Op.FLASH_DEFL_BEGIN).length, 1);
    // A compressed block is named by the flash range its output covers.
    const [s0, s1] = inflatedBlockSizes(p.compressed!, 0x4000, STUB_TAIL_BLOCK);
    const range = `0x${(0x10000 + s0).toString(16)}–0x${(0x10000 + s0 + s1).toString(16)}`;
    assert.equal(
      warnings[0],
      `segment "app" compressed block 1 (data for ${range}): FLASH_DEFL_DATA failed — stub error 0xc100: bad data checksum — restarting segment "app" from its start, uncompressed (attempt 2 of 3).`,
    );
    // The second attempt: FLASH_BEGIN, then exactly the segment's bytes once, then FLASH_END.
    const second = t.requests.slice(reqs.indexOf(Op.FLASH_BEGIN));
    assert.equal(second[0].op, Op.FLASH_BEGIN);
    assert.equal(Buffer.from(second[0].data).readUInt32LE(0), p.data.length);
    const sent = Buffer.concat(second.filter((r) => r.op === Op.FLASH_DATA).map((r) => Buffer.from(r.data.subarray(16))));
    assert.deepEqual(sent.subarray(0, p.data.length), Buffer.from(p.data));
    assert.ok(sent.subarray(p.data.length).every((b) => b === 0xff));
    assert.equal(second[second.length - 1].op, Op.FLASH_END);
    assert.match(s.compressedWritesOff ?? '', /compressed write of segment "app" failed/);
    // Later segments in the same session go uncompressed too.
    const before = t.requests.length;
    await writeSegment(s, { ...p, name: 'next' });
    assert.equal(t.requests[before].op, Op.FLASH_BEGIN);
  });

  it('stub: a block rejected with nothing else in flight is re-sent alone (the stub took nothing from it)', async () => {
    let rejected = false;
    const t = new FakeTransport((req) => {
      if (req.op === Op.FLASH_DEFL_DATA && seqOf(req) === 2 && !rejected) {
        rejected = true;
        return [resp(req.op, { status: [0xc1, 0] })];
      }
      return [resp(req.op, { status: [0, 0] })];
    });
    const p = prep(data(200_000), true);
    const warnings: string[] = [];
    await writeSegment(session(t, true), p, { onWarning: (m) => warnings.push(m) });
    const seqs = t.requests.filter((r) => r.op === Op.FLASH_DEFL_DATA).map(seqOf);
    const blocks = stubBlocks(p.compressed!.length);
    assert.deepEqual(seqs, [0, 1, 2, ...Array.from({ length: blocks - 2 }, (_, i) => i + 2)]);
    assert.deepEqual(warnings, []);
    assert.equal(ops(t.requests).filter((o) => o === Op.FLASH_DEFL_BEGIN).length, 1);
  });

  it('stub: an unanswered compressed block restarts the segment uncompressed; "N of M bytes acknowledged" counts inflated bytes', async function () {
    this.timeout(30_000); // one block timeout (about 4 s) and the quiet wait before BEGIN
    let silent = 0;
    const t = new FakeTransport((req) => {
      if (req.op === Op.FLASH_DEFL_DATA && seqOf(req) === 3) {
        silent++;
        return [];
      }
      if (req.op === Op.FLASH_DATA) return [resp(req.op, { status: [0xc4, 0] })];
      return [resp(req.op, { status: [0, 0] })];
    });
    const p = prep(data(200_000), true);
    const sizes = inflatedBlockSizes(p.compressed!, 0x4000, STUB_TAIL_BLOCK);
    const progress: number[] = [];
    await assert.rejects(writeSegment(session(t, true), p, { onProgress: (x) => progress.push(x.written) }), (e: unknown) => {
      assert.ok(e instanceof SegmentWriteError);
      assert.match(e.message, /FLASH_DATA failed — stub error 0xc400/);
      return true;
    });
    assert.equal(silent, 1);
    assert.deepEqual(progress.slice(0, 3), [sizes[0], sizes[0] + sizes[1], sizes[0] + sizes[1] + sizes[2]]);
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
    assert.equal(
      t.requests[3].checksum,
      last.subarray(16).reduce((c, b) => c ^ b, 0xef),
    );
  });

  it('ROM: FLASH_DEFL_BEGIN announces the size rounded up to 0x400; a block rejected with a checksum error restarts the segment from BEGIN, still compressed', async () => {
    let n = 0;
    const t = new FakeTransport((req) => [resp(req.op, { status: req.op === Op.FLASH_DEFL_DATA && n++ === 1 ? [1, 7, 0, 0] : [0, 0, 0, 0] })]);
    const p = prep(data(3000), false);
    assert.equal(p.method, 'compressed');
    const warnings: string[] = [];
    await writeSegment(session(t, false), p, { onWarning: (w) => warnings.push(w) });
    assert.equal(Buffer.from(t.requests[0].data).readUInt32LE(0), 0xc00);
    // The ROM used up seq 1 on the bad block: never send it again under that number; begin again.
    const blocks = Math.ceil(p.compressed!.length / 0x400);
    const expected = [Op.FLASH_DEFL_BEGIN, Op.FLASH_DEFL_DATA, Op.FLASH_DEFL_DATA, Op.FLASH_DEFL_BEGIN, ...Array<number>(blocks).fill(Op.FLASH_DEFL_DATA)];
    assert.deepEqual(ops(t.requests), expected);
    assert.deepEqual(t.requests.filter((r) => r.op === Op.FLASH_DEFL_DATA).map(seqOf), [0, 1, ...Array.from({ length: blocks }, (_, i) => i)]);
    assert.equal(warnings.length, 1);
    const [s0, s1] = inflatedBlockSizes(p.compressed!, 0x400);
    const range = `0x${(0x10000 + s0).toString(16)}–0x${(0x10000 + s0 + s1).toString(16)}`;
    assert.equal(
      warnings[0],
      `segment "app" compressed block 1 (data for ${range}): FLASH_DEFL_DATA failed — ROM error 0x07: checksum error — restarting segment "app" from its start (attempt 2 of 3).`,
    );
  });

  it('ROM: a block refused as malformed (0x05) or unanswered restarts the segment; the third failure ends it', async () => {
    let n = 0;
    const t = new FakeTransport((req) => (req.op === Op.FLASH_DATA && n++ === 1 ? [] : [resp(req.op, { status: [0, 0, 0, 0] })]));
    const p = prep(new Uint8Array(0xc00).fill(0x33), false, 'off', false);
    await writeSegment(session(t, false), p, { onWarning: () => undefined });
    assert.deepEqual(ops(t.requests), [Op.FLASH_BEGIN, Op.FLASH_DATA, Op.FLASH_DATA, Op.FLASH_BEGIN, Op.FLASH_DATA, Op.FLASH_DATA, Op.FLASH_DATA]);
    assert.deepEqual(t.requests.filter((r) => r.op === Op.FLASH_DATA).map(seqOf), [0, 1, 0, 1, 2]);

    const always = new FakeTransport((req) => [resp(req.op, { status: req.op === Op.FLASH_DATA ? [1, 5, 0, 0] : [0, 0, 0, 0] })]);
    await assert.rejects(writeSegment(session(always, false), p, { onWarning: () => undefined }), /block 0 at 0x10000: FLASH_DATA failed — ROM error 0x05/);
    assert.deepEqual(ops(always.requests), [Op.FLASH_BEGIN, Op.FLASH_DATA, Op.FLASH_BEGIN, Op.FLASH_DATA, Op.FLASH_BEGIN, Op.FLASH_DATA]);
  });

  /** A ROM whose flash holds `flash`: SPI_FLASH_MD5 answers from it (32 hex characters, as a ROM does). */
  function md5Reply(req: Request, flash: Uint8Array, at = 0x10000): Uint8Array {
    const dv = Buffer.from(req.data);
    const [addr, size] = [dv.readUInt32LE(0), dv.readUInt32LE(4)];
    const hex = createHash('md5')
      .update(flash.subarray(addr - at, addr - at + size))
      .digest('hex');
    return resp(req.op, { payload: [...Buffer.from(hex, 'latin1')], status: [0, 0, 0, 0] });
  }

  it('ROM: after a failure the write resumes after the whole sectors the chip confirms by MD5; when the MD5 differs it restarts from the start', async () => {
    const bytes = new Uint8Array(createHash('sha512').update('x').digest().subarray(0, 64)).map((b, i) => b ^ i);
    const image = new Uint8Array(0x3000).map((_, i) => bytes[i % 64] ^ (i >> 6));
    const p = prep(image, false, 'off', false);
    for (const honest of [true, false]) {
      let failed = false;
      const t = new FakeTransport((req) => {
        if (req.op === Op.FLASH_DATA && seqOf(req) === 9 && !failed) {
          failed = true;
          return [resp(req.op, { status: [1, 7, 0, 0] })];
        }
        if (req.op === Op.SPI_FLASH_MD5) return [md5Reply(req, honest ? image : new Uint8Array(0x3000))];
        return [resp(req.op)];
      });
      const warnings: string[] = [];
      const progress: number[] = [];
      const r = await writeSegment(session(t, false), p, { onWarning: (w) => warnings.push(w), onProgress: (x) => progress.push(x.written) });
      assert.equal(r.ackedBytes, 0x3000);
      assert.equal(progress.at(-1), 0x3000);
      const begins = t.requests.filter((q) => q.op === Op.FLASH_BEGIN).map((q) => [0, 4, 8, 12].map((o) => Buffer.from(q.data).readUInt32LE(o)));
      const md5s = t.requests.filter((q) => q.op === Op.SPI_FLASH_MD5).map((q) => Buffer.from(q.data).readUInt32LE(4));
      assert.deepEqual(md5s, [0x2000], 'asks for the 2 whole sectors acknowledged');
      if (honest) {
        assert.deepEqual(begins, [
          [0x3000, 12, 0x400, 0x10000],
          [0x1000, 4, 0x400, 0x12000],
        ]);
        assert.deepEqual(t.requests.filter((q) => q.op === Op.FLASH_DATA).map(seqOf), [...Array(10).keys(), 0, 1, 2, 3]);
        assert.deepEqual(warnings, [
          'segment "app" block 9 at 0x12400: FLASH_DATA failed — ROM error 0x07: checksum error — resuming segment "app" at 0x12000 (the 0x2000 bytes before it are on flash, confirmed by MD5).',
        ]);
      } else {
        assert.deepEqual(begins, [
          [0x3000, 12, 0x400, 0x10000],
          [0x3000, 12, 0x400, 0x10000],
        ]);
        assert.match(warnings[0], / — restarting segment "app" from its start \(attempt 2 of 3\)\.$/);
      }
    }
  });

  it('ROM, device-encrypted: after a failure the segment starts over without asking for an MD5 (the flash holds ciphertext)', async () => {
    const p = prep(data(0x3000), false, 'device', false);
    let failed = false;
    const t = new FakeTransport((req) => {
      if (req.op === Op.FLASH_DATA && seqOf(req) === 9 && !failed) {
        failed = true;
        return [resp(req.op, { status: [1, 7, 0, 0] })];
      }
      return [resp(req.op)];
    });
    const warnings: string[] = [];
    await writeSegment(session(t, false), p, { onWarning: (w) => warnings.push(w) });
    assert.equal(t.requests.filter((q) => q.op === Op.SPI_FLASH_MD5).length, 0);
    const begins = t.requests.filter((q) => q.op === Op.FLASH_BEGIN);
    assert.deepEqual(
      begins.map((q) => [0, 12, 16].map((o) => Buffer.from(q.data).readUInt32LE(o))),
      [
        [0x3000, 0x10000, 1],
        [0x3000, 0x10000, 1],
      ],
    );
    assert.match(warnings[0], / — restarting segment "app" from its start \(attempt 2 of 3\)\.$/);
  });

  it('ROM: a compressed write resumes at a whole 32 KiB piece of its output with a new stream of the rest', async () => {
    const image = data(200_000);
    const p = prep(image, false);
    const sizes = inflatedBlockSizes(p.compressed!, 0x400);
    const failAt = 60;
    const acked = sizes.slice(0, failAt).reduce((a, b) => a + b, 0);
    const kept = Math.floor(acked / 0x8000) * 0x8000;
    assert.ok(kept >= 0x8000, `the test needs at least one whole piece acknowledged (${acked} bytes)`);
    let failed = false;
    const t = new FakeTransport((req) => {
      if (req.op === Op.FLASH_DEFL_DATA && seqOf(req) === failAt && !failed) {
        failed = true;
        return [];
      }
      if (req.op === Op.SPI_FLASH_MD5) return [md5Reply(req, image)];
      return [resp(req.op)];
    });
    const warnings: string[] = [];
    await writeSegment(session(t, false), p, { onWarning: (w) => warnings.push(w) });
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0],
      new RegExp(`^No serial data received for the FLASH_DEFL_DATA reply .* resuming segment "app" at 0x${(0x10000 + kept).toString(16)} \\(the 0x${kept.toString(16)} bytes`),
    );
    const begins = t.requests.filter((q) => q.op === Op.FLASH_DEFL_BEGIN);
    assert.equal(begins.length, 2);
    assert.equal(Buffer.from(begins[1].data).readUInt32LE(12), 0x10000 + kept);
    const second = t.requests.slice(t.requests.indexOf(begins[1]) + 1).filter((q) => q.op === Op.FLASH_DEFL_DATA);
    const stream = Buffer.concat(second.map((q) => q.data.subarray(16)));
    assert.deepEqual(new Uint8Array(zlib.inflateSync(stream)), image.subarray(kept));
  });

  it('block bounds: whole blocks, and the last one split to leave a tail block when it is longer than the tail', () => {
    assert.deepEqual(blockBounds(0x9000, 0x4000, 0x1000), [0, 0x4000, 0x8000, 0x9000]);
    assert.deepEqual(blockBounds(0xa000, 0x4000, 0x1000), [0, 0x4000, 0x8000, 0x9000, 0xa000]);
    assert.deepEqual(blockBounds(0x8000, 0x4000, 0x1000), [0, 0x4000, 0x7000, 0x8000]);
    assert.deepEqual(blockBounds(0x800, 0x4000, 0x1000), [0, 0x800]);
    assert.deepEqual(blockBounds(0x8000, 0x4000), [0, 0x4000, 0x8000]);
    assert.deepEqual(blockBounds(0, 0x4000, 0x1000), [0]);
  });

  it('stub: a compressed write ends with a STUB_TAIL_BLOCK-byte block; BEGIN counts it and the blocks inflate to the segment', async () => {
    const t = new FakeTransport((req) => [resp(req.op, { status: [0, 0] })]);
    const p = prep(data(200_000), true);
    const z = p.compressed!;
    assert.ok(z.length % 0x4000 > STUB_TAIL_BLOCK, `test data: the last whole-size block (${z.length % 0x4000} bytes) must be longer than the tail`);
    const progress: number[] = [];
    await writeSegment(session(t, true), p, { onProgress: (x) => progress.push(x.written) });
    const blocks = t.requests.filter((r) => r.op === Op.FLASH_DEFL_DATA);
    const sizes = blocks.map((r) => Buffer.from(r.data).readUInt32LE(0));
    assert.deepEqual(sizes.slice(0, -2), Array(sizes.length - 2).fill(0x4000));
    assert.equal(sizes[sizes.length - 2], (z.length % 0x4000) - STUB_TAIL_BLOCK);
    assert.equal(sizes[sizes.length - 1], STUB_TAIL_BLOCK);
    assert.deepEqual(blocks.map(seqOf), [...sizes.keys()]);
    assert.equal(Buffer.from(t.requests[0].data).readUInt32LE(4), blocks.length);
    assert.deepEqual(new Uint8Array(zlib.inflateSync(Buffer.concat(blocks.map((r) => r.data.subarray(16))))), p.data);
    assert.equal(progress[progress.length - 1], p.data.length);
    // The ROM has no END to wait for: its compressed blocks stay whole.
    const rom = new FakeTransport((req) => [resp(req.op)]);
    const pr = prep(data(20_000), false);
    await writeSegment(session(rom, false), pr);
    const romSizes = rom.requests.filter((r) => r.op === Op.FLASH_DEFL_DATA).map((r) => Buffer.from(r.data).readUInt32LE(0));
    const whole = Math.floor(pr.compressed!.length / 0x400);
    assert.deepEqual(
      romSizes,
      [...Array(whole).fill(0x400), pr.compressed!.length % 0x400].filter((n) => n > 0),
    );
  });

  it('knows how many bytes each compressed block expands to', () => {
    const raw = data(100_000);
    const z = zlibStream(raw);
    const sizes = inflatedBlockSizes(z, 0x400);
    assert.equal(sizes.length, Math.ceil(z.length / 0x400));
    assert.equal(
      sizes.reduce((a, b) => a + b, 0),
      raw.length,
    );
    assertPrefixesMatchZlib(z, 0x400, sizes);
  });

  const app11 = path.join(CORPUS, '11-esp32c3-storage', 'st7789.bin');
  (existsSync(app11) ? it : it.skip)(`block accounting on corpus 11's app (${existsSync(app11) ? 'st7789.bin' : 'shared corpus not present: skipped'})`, () => {
    const raw = new Uint8Array(readFileSync(app11));
    const z = zlibStream(raw);
    for (const bs of [0x400, 0x4000]) {
      const sizes = inflatedBlockSizes(z, bs);
      assert.equal(
        sizes.reduce((a, b) => a + b, 0),
        raw.length,
      );
      // Every block but possibly the tail ones carries data: no 64 KiB lumps.
      const empty = sizes.slice(0, -1).filter((n) => n === 0).length;
      assert.equal(empty, 0, `block size ${bs}: ${empty} of ${sizes.length} blocks cover 0 bytes`);
      assert.ok(Math.max(...sizes) < 0x10000, `block size ${bs}: largest block ${Math.max(...sizes)} bytes`);
      assertPrefixesMatchZlib(z, bs, sizes);
    }
  });
});

/** Independent check: node's zlib, inflating each prefix with a sync flush, yields the running sums. */
function assertPrefixesMatchZlib(z: Uint8Array, bs: number, sizes: number[]): void {
  let sum = 0;
  for (let i = 0; i < sizes.length - 1; i++) {
    sum += sizes[i];
    const out = zlib.inflateSync(z.subarray(0, (i + 1) * bs), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    assert.equal(out.length, sum, `prefix of ${i + 1} blocks`);
  }
}
