/**
 * Sends one prepared segment: BEGIN, the data blocks, END (stub) — with the §2.4 timeouts.
 * ROM: 0x400 blocks, stop-and-wait, no END. A rejected or unanswered block is never sent again
 * alone: the ESP32 and ESP32-C3 ROMs skip a block that fails its checksum but count its sequence
 * number, so the same block sent again is refused (0x05) and the blocks after it would land one
 * block early (seen on both ROMs in QEMU). Instead the write resumes with a new BEGIN after what
 * the chip's MD5 confirms is on flash, or starts over (3 attempts without progress in total).
 * Stub: 0x4000 blocks; by default the next block goes out when the previous one is ACKed (the
 * stub ACKs a block when it starts working on it and receives the next meanwhile), optionally
 * `pipelineDepth` more. A block the stub rejected unread is re-sent; any other failure restarts
 * the segment from BEGIN (3 attempts in total) — uncompressed when a compressed attempt failed,
 * since the stub may keep inflated bytes of the aborted stream.
 */
import { InternalError } from '../errors';
import { createHash } from 'node:crypto';
import pako from 'pako';
import { CommandFailedError, LoaderTimeoutError, UnsupportedCommandError, isCancelled } from '../protocol/loader_errors';
import type { FlashDataOp, LoaderSession } from '../protocol/loader_session';
import { FLASH_SECTOR, Op } from '../protocol/opcodes';
import { DEFAULT_TIMEOUT_MS, WRITE_MS_PER_MB, scaledTimeout, stubBlockTimeout } from '../protocol/timeouts';
import { segmentPart, type PreparedSegment } from './prepare_segments';
import { chooseWireMethod } from './write_method';

/**
 * Blocks sent ahead of the one awaited (stub writes). 0, as esptool does: a stub buffers exactly
 * one block besides the one it is working on. The legacy stub (esptool-legacy-flasher-stub
 * v1.11.1, flasher_stub/stub_flasher.c: `uart_buf_t` holds buf_a and buf_b, and the UART
 * interrupt swaps them at every frame end) ACKs block n when it starts on it; a third block sent
 * while n is still being inflated and written lands in n's buffer (FLASH_DEFL_DATA 0xC700
 * "inflate error") or replaces the pending block n+1 (one ACK never comes: a stall). On QEMU's
 * ESP32 an encrypted compressed block takes 200–450 ms to write while the next arrives in 180 ms
 * at 921600 baud, so depth 1 failed 10 runs in 12 there; depth 0 passed every run.
 * esp-flasher-stub (esptool's set 2, esptool-js 0.7) also has two receive buffers (src/slip.c
 * v0.7.0: SLIP_NUM_BUFFERS 2; src/frame_buffer.c v1.1.0) and drops the bytes of a third frame.
 */
export const DEFAULT_PIPELINE_DEPTH = 0;

/** Blocks a stub takes ahead of the one awaited: its receive buffers (stub_capabilities.ts) less the one it works on and the one awaited. */
export function stubPipelineDepth(session: LoaderSession): number {
  const buffers = session.stub?.receiveBuffers;
  return buffers === undefined ? DEFAULT_PIPELINE_DEPTH : Math.max(0, buffers - 2);
}
const ATTEMPTS = 3;

/**
 * A stub's compressed write ends with a block of this many bytes (taken off the end of the last
 * whole block). The stub ACKs a block when it starts on it, so the wire carries block n+1 while
 * it inflates and writes block n, except after the last one: END waits for all of its work.
 * A short last block moves most of that work under the wire time of the block before it. On the
 * virtual C6 (timing model, 1 MiB app, 921600) the write span's wire use rose from 96.1–96.3 %
 * to 96.5–97.0 % with 4 KiB (2 and 6–8 KiB gained less), about 25 ms a segment.
 */
export const STUB_TAIL_BLOCK = 0x1000;

export interface WriteProgress {
  /** Uncompressed bytes acknowledged. */
  written: number;
  /** Payload bytes acknowledged (compressed size when compressing). */
  sent: number;
}

export interface WriteOptions {
  pipelineDepth?: number;
  onProgress?: (p: WriteProgress) => void;
  onWarning?: (message: string) => void;
}

/**
 * Uncompressed bytes each compressed block carries: the zlib stream inflated block by block,
 * flushing after each (Z_SYNC_FLUSH), so every byte is counted for the block whose input
 * produced it (pako otherwise hands output over in 64 KiB lumps).
 */
export function inflatedBlockSizes(zlib: Uint8Array, blockSize: number, tail = 0): number[] {
  const bounds = blockBounds(zlib.length, blockSize, tail);
  const cover = blockCovers(zlib, bounds);
  return Array.from({ length: bounds.length - 1 }, (_, i) => cover(i));
}

/**
 * Where each block of a `total`-byte payload starts, and the end: whole `blockSize` blocks, and
 * with `tail` > 0 the last block's final `tail` bytes as a block of their own when it is longer.
 */
export function blockBounds(total: number, blockSize: number, tail = 0): number[] {
  const bounds: number[] = [];
  for (let at = 0; at < total; at += blockSize) bounds.push(at);
  const last = bounds.length ? bounds[bounds.length - 1] : 0;
  if (tail > 0 && total - last > tail) bounds.push(total - tail);
  bounds.push(total);
  return bounds;
}

/**
 * What each compressed block covers, inflated on demand: block i's size is made when it is first
 * asked for (the send loops ask in order, while the block before is on the wire), so a write
 * does not wait for a whole inflate of the stream before its BEGIN.
 */
function blockCovers(zlib: Uint8Array, bounds: number[]): (i: number) => number {
  const sizes: number[] = [];
  const inf = new pako.Inflate({ chunkSize: 0x10000 });
  let produced = 0;
  inf.onData = (chunk: Uint8Array) => {
    produced += chunk.length;
  };
  return (i: number) => {
    while (sizes.length <= i && sizes.length + 1 < bounds.length) {
      const at = bounds[sizes.length];
      const end = bounds[sizes.length + 1];
      const before = produced;
      const last = end >= zlib.length;
      inf.push(zlib.subarray(at, end), last ? pako.constants.Z_FINISH : pako.constants.Z_SYNC_FLUSH);
      if (inf.err) throw new InternalError(`Internal error: the compressed data does not inflate (${inf.msg || inf.err}).`);
      sizes.push(produced - before);
    }
    return sizes[i] ?? 0;
  };
}

/** Uncompressed blocks: whole `blockSize` blocks, the last one padded with 0xFF (§2). */
function paddedBlocks(data: Uint8Array, blockSize: number): Uint8Array[] {
  const blocks: Uint8Array[] = [];
  for (let at = 0; at < data.length; at += blockSize) {
    let b = data.subarray(at, at + blockSize);
    if (b.length < blockSize) {
      const p = new Uint8Array(blockSize).fill(0xff);
      p.set(b);
      b = p;
    }
    blocks.push(b);
  }
  return blocks;
}

interface Plan {
  beginOp: typeof Op.FLASH_BEGIN | typeof Op.FLASH_DEFL_BEGIN;
  dataOp: FlashDataOp;
  endOp: typeof Op.FLASH_END | typeof Op.FLASH_DEFL_END;
  blocks: Uint8Array[];
  /** Uncompressed bytes block i covers in flash (compressed: inflated when first asked, in order). */
  cover: (i: number) => number;
  compressed: boolean;
  beginSize: number;
  /** BEGIN's 5th word, as the write method decided. */
  encryptWord?: 0 | 1;
  blockSize: number;
  sendsEnd: boolean;
  /** How long to wait for block i's reply. */
  timeout: (i: number) => number;
}

/**
 * Blocks, sizes and timeouts for the write method chosen in prepare_segments (p.wire), or its
 * uncompressed variant once compressed writes are off for this session (a compressed write failed
 * part-way: the stub may keep inflated bytes of the aborted stream).
 */
function planWrite(session: LoaderSession, p: PreparedSegment, allowCompressed: boolean): Plan {
  const w =
    p.wire.compressed && !allowCompressed && session.chip
      ? chooseWireMethod(p.encrypt, { chip: session.chip, stub: session.stub, secureDownloadMode: session.secureDownloadMode }, false)
      : p.wire;
  const bs = w.blockSize;
  const fromWire = { beginOp: w.beginOp, dataOp: w.dataOp, endOp: w.endOp, encryptWord: w.beginEncryptWord, blockSize: bs, sendsEnd: w.sendsEnd };
  // The stub ACKs a block when it starts on it, so the wait for block n covers the work of
  // block n−1 (its inflated size; the erase allowance also covers a stub writing earlier
  // output late, e.g. the legacy stub's 32 KiB output buffer).
  const stubTimeout = (cover: (i: number) => number) => (i: number) => stubBlockTimeout(i > 0 ? cover(i - 1) : 0);
  if (w.compressed && p.compressed) {
    const bounds = blockBounds(p.compressed.length, bs, session.isStub ? STUB_TAIL_BLOCK : 0);
    const z = p.compressed;
    const blocks = bounds.slice(0, -1).map((at, i) => z.subarray(at, bounds[i + 1]));
    const cover = blockCovers(z, bounds);
    return {
      ...fromWire,
      blocks,
      cover,
      compressed: true,
      // The stub takes the exact size; the ROM a multiple of its block size (§2).
      beginSize: session.isStub ? p.data.length : Math.ceil(p.data.length / bs) * bs,
      timeout: session.isStub ? stubTimeout(cover) : (i) => scaledTimeout(WRITE_MS_PER_MB, cover(i)),
    };
  }
  const blocks = paddedBlocks(p.data, bs);
  const cover = (i: number) => Math.max(0, Math.min(bs, p.data.length - i * bs));
  return {
    ...fromWire,
    blocks,
    cover,
    compressed: false,
    beginSize: p.data.length,
    timeout: session.isStub ? stubTimeout(cover) : () => DEFAULT_TIMEOUT_MS,
  };
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** A rejection of a block the loader did not write: checksum, length, receive, frame-format errors. */
function blockRejected(e: unknown): boolean {
  if (!(e instanceof CommandFailedError)) return false;
  if (e.status === 0x01) return e.errorCode === 0x07 || e.errorCode === 0x04 || e.errorCode === 0x05;
  return e.status === 0xc1 || e.status === 0xc0;
}

/** Write one segment; resolves with the payload bytes sent (all attempts). Throws on failure or cancel. */
export async function writeSegment(session: LoaderSession, whole: PreparedSegment, opts: WriteOptions = {}): Promise<{ sentBytes: number; ackedBytes: number }> {
  const depth = session.isStub ? Math.max(0, opts.pipelineDepth ?? stubPipelineDepth(session)) : 0;
  // What is still to write: the whole segment, or (ROM) its part after the sectors already confirmed.
  let p = whole;
  /** Bytes of whole.data, from its start, on flash before `p` (confirmed by MD5 after a failure). */
  let base = 0;
  let sentBase = 0;
  let sentBytes = 0;
  let acked = { written: 0, sent: 0 };
  for (let attempt = 1; ; attempt++) {
    const plan = planWrite(session, p, session.compressedWritesOff === undefined);
    // Where a block's data goes: a compressed block by the flash range its output covers. Blocks
    // are asked for in order, so each start is the one before plus that block's output.
    const starts = [p.writeOffset];
    const context = (seq: number) => {
      if (!plan.compressed) return `segment "${p.name}" block ${seq} at ${hex(p.writeOffset + seq * plan.blockSize)}`;
      while (starts.length <= seq) starts.push(starts[starts.length - 1] + plan.cover(starts.length - 1));
      return `segment "${p.name}" compressed block ${seq} (data for ${hex(starts[seq])}–${hex(starts[seq] + plan.cover(seq))})`;
    };
    acked = { written: 0, sent: 0 };
    const ack = (seq: number) => {
      acked = { written: acked.written + plan.cover(seq), sent: acked.sent + plan.blocks[seq].length };
      opts.onProgress?.({ written: base + acked.written, sent: sentBase + acked.sent });
    };
    try {
      const begin = {
        size: plan.beginSize,
        blocks: plan.blocks.length,
        blockSize: plan.blockSize,
        offset: p.writeOffset,
        encryptWord: plan.encryptWord,
        context: `segment "${p.name}" at ${hex(p.writeOffset)}`,
      };
      const sendBegin = () => (plan.beginOp === Op.FLASH_DEFL_BEGIN ? session.flashDeflBegin(begin) : session.flashBegin(begin));
      try {
        await sendBegin();
      } catch (e) {
        // After an aborted attempt a stub may report the failure it accumulated on the next
        // command, whatever it is (§1.6): that reply is stale, so BEGIN is sent once more.
        if (attempt === 1 || !(e instanceof CommandFailedError) || e.status === 0x01) throw e;
        await sendBegin();
      }
      if (!session.isStub) {
        // ROM: it writes before it answers, so each block waits for its reply. Each frame is
        // made while the loader works on the one before, so the next block goes out as soon as
        // a reply is decoded. A failure restarts the segment (below), never the block alone.
        const n = plan.blocks.length;
        let frame = n ? session.dataFrame(plan.dataOp, 0, plan.blocks[0]) : undefined;
        for (let seq = 0; seq < n; seq++) {
          await session.sendFrame(frame ?? session.dataFrame(plan.dataOp, seq, plan.blocks[seq]));
          sentBytes += plan.blocks[seq].length;
          frame = seq + 1 < n ? session.dataFrame(plan.dataOp, seq + 1, plan.blocks[seq + 1]) : undefined;
          await session.waitData(plan.dataOp, plan.timeout(seq), context(seq));
          ack(seq);
        }
        return { sentBytes, ackedBytes: base + acked.written };
      }
      let next = 0;
      // The next frame is made ahead too, while the stub receives and works on the current one.
      let ahead = plan.blocks.length ? session.dataFrame(plan.dataOp, 0, plan.blocks[0]) : undefined;
      for (let seq = 0; seq < plan.blocks.length; seq++) {
        while (next < plan.blocks.length && next - seq <= depth) {
          await session.sendFrame(ahead ?? session.dataFrame(plan.dataOp, next, plan.blocks[next]));
          sentBytes += plan.blocks[next].length;
          next++;
          ahead = next < plan.blocks.length ? session.dataFrame(plan.dataOp, next, plan.blocks[next]) : undefined;
        }
        plan.cover(seq); // made while the block is on the wire, not after its reply
        try {
          await session.waitData(plan.dataOp, plan.timeout(seq), context(seq));
        } catch (e) {
          // With nothing else in flight, a block rejected unread (checksum, length) is re-sent
          // once; the stub took nothing from it. Anything else restarts the segment below.
          if (!(next === seq + 1 && blockRejected(e))) throw e;
          await session.conn.drain(50);
          sentBytes += await resendRejected(session, plan, seq, context(seq));
        }
        ack(seq);
      }
      if (plan.sendsEnd) {
        // The stub ACKs before writing: its last write result arrives with END (§1.6).
        const last = plan.blocks.length ? plan.cover(plan.blocks.length - 1) : 0;
        await session.flashEnd(plan.endOp, true, stubBlockTimeout(last), `finishing segment "${p.name}" at ${hex(p.offset)}`);
      }
      return { sentBytes, ackedBytes: base + acked.written };
    } catch (e) {
      if (isCancelled(e) || e instanceof UnsupportedCommandError || attempt >= ATTEMPTS) throw withOffset(e, whole, base + acked.written);
      const curable = blockRejected(e) || e instanceof LoaderTimeoutError;
      if (!curable) throw withOffset(e, whole, base + acked.written);
      if (!session.isStub) {
        // A frame whose END byte was lost is still being read: end it (the ROM answers it with
        // an error), and let that answer and any late one go before anything else is sent.
        await session.endPartialFrame();
        await session.conn.drain(200);
        const kept = await confirmedOnFlash(session, whole, base, acked.written, plan.compressed);
        if (kept >= whole.data.length) return { sentBytes, ackedBytes: kept };
        const why = (e as Error).message.replace(/\.$/, '');
        if (kept > base) {
          // Progress since the last failure: the count of attempts starts again.
          attempt = 0;
          p = resumePart(session, whole, kept);
          opts.onWarning?.(`${why} — resuming segment "${whole.name}" at ${hex(p.writeOffset)} (the ${hex(kept)} bytes before it are on flash, confirmed by MD5).`);
        } else {
          if (kept === 0) p = whole;
          const how = kept ? `resuming segment "${whole.name}" at ${hex(p.writeOffset)} again` : `restarting segment "${whole.name}" from its start`;
          opts.onWarning?.(`${why} — ${how} (attempt ${attempt + 1} of ${ATTEMPTS}).`);
        }
        base = kept;
        sentBase = sentBytes;
        continue;
      }
      let how = 'from its start';
      if (plan.compressed) {
        // The aborted stream may have left inflated bytes in the stub that the next compressed
        // stream would write first: from here on this session writes uncompressed.
        session.compressedWritesOff = `a compressed write of segment "${p.name}" failed part-way`;
        how = 'from its start, uncompressed';
      }
      opts.onWarning?.(`${(e as Error).message.replace(/\.$/, '')} — restarting segment "${p.name}" ${how} (attempt ${attempt + 1} of ${ATTEMPTS}).`);
      // Let the stub finish what it still holds (at most one block behind the ACKs) before BEGIN.
      await session.conn.drain(Math.min(2000, plan.blocks.length ? plan.timeout(Math.min(plan.blocks.length - 1, 1)) : 500));
    }
  }
}

/**
 * A ROM writes a compressed stream's output in pieces of this many bytes, counted from the start
 * of the write (its inflater's 32 KiB window): acknowledged output short of the next piece is not
 * on flash yet. Seen on the ESP32 and ESP32-C3 ROMs in QEMU (SPI_FLASH_MD5 after 9, 25, 45 and
 * 70 blocks); a ROM that writes sooner still passes the check below.
 */
const ROM_INFLATE_PIECE = 0x8000;

/**
 * How many bytes of `p.data`, from its start, the flash holds after a ROM write that began at
 * `base` (bytes already confirmed) failed with `written` more bytes acknowledged: `base` plus
 * those rounded down to whole sectors (to whole inflate pieces when compressed) when the chip's
 * MD5 of everything up to there matches, else `base`. Device-encrypted data is stored as
 * ciphertext the host may not know: 0.
 */
async function confirmedOnFlash(session: LoaderSession, p: PreparedSegment, base: number, written: number, compressed: boolean): Promise<number> {
  if (p.encrypt === 'device' || !session.chip) return 0;
  const unit = compressed ? ROM_INFLATE_PIECE : FLASH_SECTOR;
  const k = Math.min(base + Math.floor(written / unit) * unit, p.data.length);
  if (k <= base) return base;
  try {
    const md5 = await session.flashMd5(p.writeOffset, k, `confirming what segment "${p.name}" wrote before the failure`);
    return md5 === createHash('md5').update(p.data.subarray(0, k)).digest('hex') ? k : base;
  } catch (e) {
    if (isCancelled(e)) throw e;
    return base;
  }
}

/** The rest of `p` after its first `kept` bytes of data (a whole number of sectors), as a write of its own. */
function resumePart(session: LoaderSession, p: PreparedSegment, kept: number): PreparedSegment {
  const caps = { chip: session.chip!, stub: session.stub, secureDownloadMode: session.secureDownloadMode };
  return segmentPart(p, p.writeOffset + kept, p.offset + p.image.length, caps, p.wire.compressed && session.compressedWritesOff === undefined);
}

/** Re-send a block a stub rejected unread, alone, and wait (at most ATTEMPTS − 1 more sends). */
async function resendRejected(session: LoaderSession, plan: Plan, seq: number, context: string): Promise<number> {
  let sent = 0;
  for (let attempt = 2; ; attempt++) {
    try {
      await session.sendFrame(session.dataFrame(plan.dataOp, seq, plan.blocks[seq]));
      sent += plan.blocks[seq].length;
      await session.waitData(plan.dataOp, plan.timeout(seq), context);
      return sent;
    } catch (e) {
      if (!(attempt < ATTEMPTS && blockRejected(e))) throw e;
      await session.conn.drain(100);
    }
  }
}

/** Failure carrying where in the segment it happened. */
export class SegmentWriteError extends Error {
  constructor(
    readonly segment: string,
    readonly offset: number,
    readonly ackedBytes: number,
    readonly reason: unknown,
  ) {
    super((reason as Error)?.message ?? String(reason));
    this.name = 'SegmentWriteError';
  }
}

function withOffset(e: unknown, p: PreparedSegment, acked: number): unknown {
  if (isCancelled(e)) return e;
  return new SegmentWriteError(p.name, p.offset + acked, acked, e);
}
