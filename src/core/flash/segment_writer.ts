/**
 * Sends one prepared segment: BEGIN, the data blocks, END (stub) — with the §2.4 timeouts.
 * ROM: 0x400 blocks, stop-and-wait, a rejected block re-sent (3 attempts), no END.
 * Stub: 0x4000 blocks kept flowing back to back (`pipelineDepth` blocks in flight beyond the
 * one awaited); a failure with blocks in flight restarts the segment from BEGIN (3 attempts in
 * total), since the stub would take a later block in the failed one's place.
 */
import pako from 'pako';
import { CommandFailedError, LoaderTimeoutError, UnsupportedCommandError, isCancelled } from '../protocol/loader_errors';
import type { FlashDataOp, LoaderSession } from '../protocol/loader_session';
import { Op } from '../protocol/opcodes';
import { DEFAULT_TIMEOUT_MS, WRITE_MS_PER_MB, scaledTimeout, stubBlockTimeout } from '../protocol/timeouts';
import type { PreparedSegment } from './prepare_segments';

export const DEFAULT_PIPELINE_DEPTH = 1;
const ATTEMPTS = 3;

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

/** Uncompressed bytes each compressed block expands to (for timeouts and progress). */
export function inflatedBlockSizes(zlib: Uint8Array, blockSize: number): number[] {
  const sizes: number[] = [];
  const inf = new pako.Inflate();
  let produced = 0;
  inf.onData = (chunk: Uint8Array) => {
    produced += chunk.length;
  };
  for (let at = 0; at < zlib.length; at += blockSize) {
    const before = produced;
    inf.push(zlib.subarray(at, at + blockSize), at + blockSize >= zlib.length);
    sizes.push(produced - before);
  }
  return sizes;
}

function split(data: Uint8Array, blockSize: number, padLast: boolean): Uint8Array[] {
  const blocks: Uint8Array[] = [];
  for (let at = 0; at < data.length; at += blockSize) {
    let b = data.subarray(at, at + blockSize);
    if (padLast && b.length < blockSize) {
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
  /** Uncompressed bytes per block (what each block covers in flash). */
  covers: number[];
  beginSize: number;
  /** BEGIN's 5th word, as the write method decided. */
  encryptWord?: 0 | 1;
  blockSize: number;
  sendsEnd: boolean;
  timeouts: number[];
}

/** Blocks, sizes and timeouts for the write method chosen in prepare_segments (p.wire). */
function planWrite(session: LoaderSession, p: PreparedSegment): Plan {
  const w = p.wire;
  const bs = w.blockSize;
  const fromWire = { beginOp: w.beginOp, dataOp: w.dataOp, endOp: w.endOp, encryptWord: w.beginEncryptWord, blockSize: bs, sendsEnd: w.sendsEnd };
  if (w.compressed && p.compressed) {
    const blocks = split(p.compressed, bs, false);
    const covers = inflatedBlockSizes(p.compressed, bs);
    const timeouts = session.isStub
      ? covers.map((_, i) => stubBlockTimeout(i > 0 ? covers[i - 1] : 0))
      : covers.map((n) => scaledTimeout(WRITE_MS_PER_MB, n));
    return {
      ...fromWire,
      blocks,
      covers,
      // The stub takes the exact size; the ROM a multiple of its block size (§2).
      beginSize: session.isStub ? p.data.length : Math.ceil(p.data.length / bs) * bs,
      timeouts,
    };
  }
  const blocks = split(p.data, bs, true);
  const covers = blocks.map((_, i) => Math.min(bs, p.data.length - i * bs));
  const timeouts = session.isStub ? covers.map((_, i) => stubBlockTimeout(i > 0 ? covers[i - 1] : 0)) : covers.map(() => DEFAULT_TIMEOUT_MS);
  return {
    ...fromWire,
    blocks,
    covers,
    beginSize: p.data.length,
    timeouts,
  };
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** A rejection that left the block unconsumed (safe to re-send): checksum, length, receive errors. */
function blockRejected(e: unknown): boolean {
  if (!(e instanceof CommandFailedError)) return false;
  if (e.status === 0x01) return e.errorCode === 0x07 || e.errorCode === 0x04;
  return e.status === 0xc1 || e.status === 0xc0;
}

/** Write one segment; resolves with the payload bytes sent (all attempts). Throws on failure or cancel. */
export async function writeSegment(session: LoaderSession, p: PreparedSegment, opts: WriteOptions = {}): Promise<{ sentBytes: number; ackedBytes: number }> {
  const plan = planWrite(session, p);
  const depth = session.isStub ? Math.max(0, opts.pipelineDepth ?? DEFAULT_PIPELINE_DEPTH) : 0;
  const context = (seq: number) => `segment "${p.name}" block ${seq} at ${hex(p.writeOffset + seq * plan.blockSize)}`;
  let sentBytes = 0;
  let acked = { written: 0, sent: 0 };
  for (let attempt = 1; ; attempt++) {
    acked = { written: 0, sent: 0 };
    try {
      const begin = { size: plan.beginSize, blocks: plan.blocks.length, blockSize: plan.blockSize, offset: p.writeOffset, encryptWord: plan.encryptWord, context: `segment "${p.name}" at ${hex(p.writeOffset)}` };
      const sendBegin = () => (plan.beginOp === Op.FLASH_DEFL_BEGIN ? session.flashDeflBegin(begin) : session.flashBegin(begin));
      try {
        await sendBegin();
      } catch (e) {
        // After an aborted attempt a stub may report the failure it accumulated on the next
        // command, whatever it is (§1.6): that reply is stale, so BEGIN is sent once more.
        if (attempt === 1 || !(e instanceof CommandFailedError) || e.status === 0x01) throw e;
        await sendBegin();
      }
      if (depth === 0) {
        for (let seq = 0; seq < plan.blocks.length; seq++) {
          sentBytes += await sendStopAndWait(session, plan, seq, context(seq), p.encrypt === 'off' || p.encrypt === 'host');
          acked = { written: acked.written + plan.covers[seq], sent: acked.sent + plan.blocks[seq].length };
          opts.onProgress?.(acked);
        }
      } else {
        let next = 0;
        for (let seq = 0; seq < plan.blocks.length; seq++) {
          while (next < plan.blocks.length && next - seq <= depth) {
            await session.sendData(plan.dataOp, next, plan.blocks[next]);
            sentBytes += plan.blocks[next].length;
            next++;
          }
          await session.waitData(plan.dataOp, plan.timeouts[seq], context(seq));
          acked = { written: acked.written + plan.covers[seq], sent: acked.sent + plan.blocks[seq].length };
          opts.onProgress?.(acked);
        }
      }
      if (plan.sendsEnd) {
        // The stub ACKs before writing: its last write result arrives with END (§1.6).
        const last = plan.covers.length ? plan.covers[plan.covers.length - 1] : 0;
        await session.flashEnd(plan.endOp, true, stubBlockTimeout(last), `finishing segment "${p.name}" at ${hex(p.offset)}`);
      }
      return { sentBytes, ackedBytes: acked.written };
    } catch (e) {
      if (isCancelled(e) || e instanceof UnsupportedCommandError || attempt >= ATTEMPTS || depth === 0) throw withOffset(e, p, acked.written);
      const curable = blockRejected(e) || e instanceof LoaderTimeoutError;
      if (!curable) throw withOffset(e, p, acked.written);
      opts.onWarning?.(`${(e as Error).message.replace(/\.$/, '')} — restarting segment "${p.name}" from its start (attempt ${attempt + 1} of ${ATTEMPTS}).`);
      await session.conn.drain(100);
    }
  }
}

/** Send block `seq` and wait; re-send a rejected block, and an unanswered one unless encrypted (§2.4). */
async function sendStopAndWait(session: LoaderSession, plan: Plan, seq: number, context: string, retryTimeouts: boolean): Promise<number> {
  let sent = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      await session.sendData(plan.dataOp, seq, plan.blocks[seq]);
      sent += plan.blocks[seq].length;
      await session.waitData(plan.dataOp, plan.timeouts[seq], context);
      return sent;
    } catch (e) {
      const again = attempt < ATTEMPTS && (blockRejected(e) || (retryTimeouts && e instanceof LoaderTimeoutError));
      if (!again) throw e;
      await session.conn.drain(50);
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

