/**
 * flashSegments: one flash job from connect to reset — checks, per-segment write strategy,
 * skip-if-unchanged and changed-sectors-only writes, MD5 verification, progress events,
 * cancellation. Never throws for device or input problems: the result (and a 'failed' event)
 * says what went wrong and what was written.
 */
import { createHash } from 'node:crypto';
import { resolveHostKey } from '../crypto/device_key_file';
import type { FlashKey } from '../crypto/flash_crypto';
import { CancelledError, isCancelled } from '../protocol/loader_errors';
import type { FlashOptions, FlashResult, SegmentResult, WriteSegment } from './api';
import type { FlashEvent } from './events';
import { isVirtualPort, type OpenedPort } from '../transport/open_port';
import { openSession, type OpenSession } from './open_session';
import { blankChipShortcut, changedText, compareSegment, MD5_BLOCK, type ChangedSectors, type FlashMd5Many } from './changed_sectors';
import { openJobCache, type JobCache } from './cache_confirm';
import { deflateAhead, dropAhead, prepareSegment, segmentPart, wireParts, type PreparedSegment } from './prepare_segments';
import { safetyRefusals, type Refusal } from '../rules/device_rules';
import { layoutFromDevice, layoutWithoutDevice } from '../rules/device_layout';
import type { FlashLayout } from '../rules/encrypted_regions';
import { SegmentWriteError, writeSegment } from './segment_writer';
import { validateSegments } from './validate_segments';
import { canMd5, isCompressed } from './write_method';

const hex = (n: number) => `0x${n.toString(16)}`;

/** The checks refused the job; nothing was written. */
export class FlashRefusedError extends Error {
  constructor(readonly refusals: Refusal[]) {
    super(refusals.map((r) => r.message).join('\n'));
    this.name = 'FlashRefusedError';
  }
}

export class VerifyError extends Error {
  constructor(
    readonly segment: string,
    readonly offset: number,
    message: string,
  ) {
    super(message);
    this.name = 'VerifyError';
  }
}

function kbps(bytes: number, ms: number): number {
  return ms > 0 ? Math.round(((bytes * 8) / (ms / 1000) / 1000) * 10) / 10 : 0;
}

/** Key for host encryption (required when a segment uses it) and for verifying device-encrypted data (optional). */
function hostKey(segments: WriteSegment[], opts: FlashOptions, s: OpenSession, emit: (e: FlashEvent) => void): FlashKey | undefined {
  if (!opts.hostKey?.keyFile && !opts.hostKey?.keyDir) return undefined;
  try {
    return resolveHostKey(opts.hostKey, { chip: s.chip.name, mac: s.mac });
  } catch (e) {
    const first = segments.find((x) => x.encrypt === 'host');
    if (first) {
      const reason = `${(e as Error).message}`;
      throw new FlashRefusedError([{ code: 'host-key', segment: first.name, offset: first.offset, overridable: false, reason, advice: '', message: reason }]);
    }
    emit({ kind: 'warning', message: `Device-encrypted segments cannot be verified: ${(e as Error).message}` });
    return undefined;
  }
}

/**
 * The layout the encrypted-region rule judges by: the plan's table, a table in the job, or
 * (only when a plaintext write onto an encryption-enabled device needs it) the device's own.
 */
async function jobLayout(segments: WriteSegment[], opts: FlashOptions, s: OpenSession, key: FlashKey | undefined): Promise<FlashLayout | undefined> {
  const known = layoutWithoutDevice(segments, opts.partitions, opts.partitionTableOffset);
  if (known) return known;
  if (!s.security.flashEncryptionEnabled || !segments.some((x) => x.encrypt === 'off')) return undefined;
  const read = (offset: number, length: number) => (s.session.isStub ? s.session.readFlashStub(offset, length) : s.session.readFlashSlow(offset, length));
  return layoutFromDevice(read, key, opts.partitionTableOffset);
}

/** Prepare the write list for an open session (shared with verifySegments). */
export function prepareAll(segments: WriteSegment[], opts: FlashOptions, s: OpenSession, key: FlashKey | undefined, deferCompression = false): PreparedSegment[] {
  return segments.map((seg, i) =>
    prepareSegment(seg, i, {
      loader: s.caps,
      settings: opts.settings,
      detectedFlashSize: s.detectedFlashSize,
      secureBoot: s.security.secureBoot,
      compress: opts.compress ?? true,
      deferCompression,
      key,
      flashCryptConfig: seg.encrypt === 'device' ? (s.security.flashCryptConfig ?? opts.hostKey?.flashCryptConfig) : opts.hostKey?.flashCryptConfig,
    }),
  );
}

export async function flashSegments(segments: WriteSegment[], opts: FlashOptions): Promise<FlashResult> {
  return flashSegmentsOver(undefined, segments, opts);
}

/** flashSegments over an already opened port (in-process transports, tests); it is closed at the end. */
export async function flashSegmentsOver(port: OpenedPort | undefined, segments: WriteSegment[], opts: FlashOptions): Promise<FlashResult> {
  const t0 = Date.now();
  const emit = (e: FlashEvent) => {
    try {
      opts.onEvent?.(e);
    } catch {
      // a listener's bug must not break the job
    }
  };
  const results: SegmentResult[] = segments.map((s) => ({
    name: s.name,
    offset: s.offset,
    status: 'not-written',
    bytes: s.bytes.length,
    sentBytes: 0,
    seconds: 0,
    verified: false,
  }));
  let open: OpenSession | undefined;
  /** Data being compressed ahead of its write (deflateAhead), stopped when the job ends. */
  const compressing: Uint8Array[] = [];
  /** Per segment index: the bytes compressed while connecting (as a plain segment goes on the wire). */
  const early = new Map<number, Uint8Array>();
  /** The write in progress: segment, where this run starts, bytes acknowledged of its `size`. */
  let current: { index: number; at: number; acked: number; size: number } | undefined;
  /** The segment being verified (written, not yet confirmed). */
  let verifying: { index: number; offset: number } | undefined;
  /** The device cache for this device (opts.deviceCache), and what this job verified or touched. */
  let cache: JobCache | undefined;
  try {
    validateSegments(segments);
    // Plain segments go on the wire as given (a header patch or ROM alignment makes other bytes,
    // compressed later): compress them while connecting — a blank chip leaves no comparison to
    // hide it behind.
    if (opts.compress ?? true) {
      segments.forEach((x, i) => {
        if (x.encrypt !== 'off') return;
        let padded = x.bytes;
        if (padded.length % 4) {
          padded = new Uint8Array(x.bytes.length + 4 - (x.bytes.length % 4)).fill(0xff);
          padded.set(x.bytes);
        }
        early.set(i, padded);
        deflateAhead([padded]);
        compressing.push(padded);
      });
    }
    open = await openSession(opts, { stub: opts.stub ?? true, stubRequired: opts.stubRequired, flashSizeSetting: opts.settings?.size }, emit, port);
    const s = open;
    const deviceRefusals = opts.checkDevice?.(s.deviceInfo()) ?? [];
    if (deviceRefusals.length) throw new FlashRefusedError(deviceRefusals);
    const key = hostKey(segments, opts, s, emit);
    const layout = await jobLayout(segments, opts, s, key);
    const skipUnchanged = opts.skipUnchanged ?? true;
    // A "virtual:" port is a new chip every time it opens: nothing to remember.
    cache = isVirtualPort(opts.port) ? undefined : await openJobCache(opts.deviceCache, s, emit);
    // The chip hashes the first cached region while the host checks and prepares (no other
    // command goes out until its reply is in: see settleEarly).
    if (cache && skipUnchanged && canMd5(s.caps) && segments.length && (segments[0].encrypt !== 'device' || key)) cache.startEarlyConfirm(segments[0].offset);
    const { refusals, overridden, warnings } = safetyRefusals(
      segments,
      {
        chip: s.chip,
        security: s.security,
        stub: s.session.isStub,
        loader: s.caps,
        stubFailure: s.stubFailure,
        flashSize: s.flashSize,
        hostKeyGiven: !!key,
        hostFlashCryptConfig: opts.hostKey?.flashCryptConfig,
        settings: opts.settings,
        layout,
      },
      !!opts.force,
    );
    for (const r of warnings) emit({ kind: 'warning', message: r.message });
    for (const r of overridden) emit({ kind: 'warning', message: `Forced past a refusal: ${r.message}` });
    if (refusals.length) throw new FlashRefusedError(refusals);
    if (s.flashSize === undefined) emit({ kind: 'warning', message: 'Flash size unknown: segments were not checked against it.' });
    const prepared = prepareAll(segments, opts, s, key, true);
    // A "virtual:" port is a new chip every time it opens: nothing to remember.
    emit({ kind: 'plan', totalBytes: prepared.reduce((n, p) => n + p.image.length, 0), segments: prepared.length });

    const verify = opts.verify ?? true;
    for (const p of prepared) {
      await cache?.settleEarly();
      if (opts.signal?.aborted) throw new CancelledError();
      const r = results[p.index];
      let parts: PreparedSegment[] = [p];
      let changed: ChangedSectors | undefined;
      let cacheNote: string | undefined;
      const fromCache = skipUnchanged && p.expected && p.expectedMd5 && cache ? await cache.compare(p) : undefined;
      if (fromCache?.identical) {
        dropAhead([early.get(p.index)!].filter(Boolean));
        r.status = 'skipped';
        r.verified = true;
        cache!.noteVerified(p.offset, p.expected!);
        emit({
          kind: 'skipped',
          index: p.index,
          name: p.name,
          reason: `flash at ${hex(p.offset)} already holds it (MD5 ${p.expectedMd5}); ${fromCache.how}`,
          md5: p.expectedMd5,
          how: fromCache.how,
        });
        continue;
      }
      if (fromCache) {
        changed = fromCache;
        cacheNote = fromCache.how;
        if (changed.changed < changed.total) parts = changed.ranges.map((g) => segmentPart(p, g.start, g.end, s.caps));
        r.changedSectors = changed.changed;
        r.totalSectors = changed.total;
      } else if (skipUnchanged && p.expected && p.expectedMd5) {
        // Per 64 KiB block, then per 4 KiB sector where a block differs. Once two blocks differ
        // the segment will most likely be written whole: compress it while the chip hashes on.
        const what = `comparing segment "${p.name}" with the flash at ${hex(p.offset)}`;
        let differing = 0;
        const hasher: FlashMd5Many = async (regions) => {
          const out: string[] = [];
          for (const g of regions) {
            const have = await s.session.flashMd5(g.addr, g.size, what);
            out.push(have);
            const want = createHash('md5')
              .update(p.expected!.subarray(g.addr - p.offset, g.addr - p.offset + g.size))
              .digest('hex');
            if (p.compressionPending && g.size === MD5_BLOCK && have !== want && ++differing === 2) {
              deflateAhead([p.data]);
              compressing.push(p.data);
            }
          }
          return out;
        };
        // A blank chip: one block hashed, then the whole segment written (blankChipShortcut).
        const cmp = await compareSegment(blankChipShortcut(hasher, p.offset, p.expected), p.offset, p.expected);
        if (cmp.identical) {
          dropAhead([early.get(p.index)!].filter(Boolean));
          r.status = 'skipped';
          r.verified = true;
          cache?.noteVerified(p.offset, p.expected);
          emit({ kind: 'skipped', index: p.index, name: p.name, reason: `flash at ${hex(p.offset)} already holds it (MD5 ${p.expectedMd5})`, md5: p.expectedMd5 });
          continue;
        }
        // Not identical: write only the 4 KiB sectors that differ.
        changed = cmp;
        if (changed.changed < changed.total) parts = changed.ranges.map((g) => segmentPart(p, g.start, g.end, s.caps));
        r.changedSectors = changed.changed;
        r.totalSectors = changed.total;
      }
      const wire = await wireParts(p, parts, s.caps);
      parts = wire.parts;
      const romTail = wire.note;
      const writeBytes = parts.reduce((n, x) => n + x.image.length, 0);
      const total = parts.reduce((n, x) => n + x.data.length, 0);
      const incremental =
        changed && changed.changed < changed.total ? `only the changed sectors: ${changedText(changed)}${rangesText(changed)}${cacheNote ? ` (${cacheNote})` : ''}` : undefined;
      const uncompressed = s.session.compressedWritesOff && isCompressed(p.method) ? `sent uncompressed: ${s.session.compressedWritesOff}` : undefined;
      const method = [p.methodText, uncompressed, romTail, p.patchNote, incremental].filter(Boolean).join('; ');
      emit({ kind: 'segment-start', index: p.index, name: p.name, offset: parts[0].offset, size: writeBytes, method });
      const start = Date.now();
      let sentBytes = 0;
      let done = 0;
      for (const part of parts) {
        cache?.noteTouched(part.writeOffset, part.writeOffset + part.data.length);
        current = { index: p.index, at: part.writeOffset, acked: 0, size: part.data.length };
        const cur = current;
        if (opts.signal?.aborted) throw new CancelledError();
        const before = done;
        const w = await writeSegment(s.session, part, {
          pipelineDepth: opts.pipelineDepth,
          onWarning: (message) => emit({ kind: 'warning', message }),
          onProgress: ({ written, sent }) => {
            cur.acked = written;
            const soFar = before + Math.min(written, part.data.length);
            emit({ kind: 'progress', index: p.index, name: p.name, written: soFar, total, sent: sentBytes + sent, kbitPerSecond: kbps(soFar, Date.now() - start) });
          },
        });
        sentBytes += w.sentBytes;
        done += part.data.length;
      }
      const ms = Date.now() - start;
      r.sentBytes = sentBytes;
      r.seconds = ms / 1000;
      current = undefined;
      if (verify && p.expectedMd5) {
        // Not "written" until verified: a failure here names the segment and leaves it out of "Written".
        verifying = { index: p.index, offset: p.offset };
        // When the comparison found the rest of the segment right, only the written ranges can still differ.
        const partial = changed && !changed.wholeSegment && changed.changed < changed.total ? changed.ranges : undefined;
        const bad = partial ? await verifyRanges(s, p, partial) : await verifyWhole(s, p);
        if (bad) {
          r.status = 'failed';
          throw new VerifyError(
            p.name,
            bad.at,
            `Verification failed for segment "${p.name}" at ${hex(bad.at)}: flash MD5 ${bad.actual}, expected ${bad.expected}${bad.what}. The data was corrupted on the way or the flash is failing; flash again, at a lower baud rate if it repeats.`,
          );
        }
        r.verified = true;
        verifying = undefined;
        if (p.expected) cache?.noteVerified(p.offset, p.expected);
        emit({ kind: 'verified', index: p.index, name: p.name, md5: p.expectedMd5, ...(p.encrypt === 'host' ? { checked: 'ciphertext' as const } : {}) });
      }
      r.status = 'written';
      const doneEvent: FlashEvent = { kind: 'segment-done', index: p.index, name: p.name, bytes: writeBytes, sentBytes, seconds: ms / 1000, kbitPerSecond: kbps(total, ms) };
      if (changed && changed.changed < changed.total) doneEvent.detail = changedText(changed);
      emit(doneEvent);
    }
    await cache?.settleEarly();
    await cache?.save();
    await s.after(opts.after ?? 'hard-reset');
    const seconds = (Date.now() - t0) / 1000;
    emit({ kind: 'done', seconds, written: names(results, 'written'), skipped: names(results, 'skipped') });
    return { ok: true, chip: s.chip.name, segments: results, seconds, wireBytesOut: s.transport.bytesOut, wireBytesIn: s.transport.bytesIn, device: s.deviceInfo() };
  } catch (e) {
    await cache?.save();
    const cancelled = isCancelled(e);
    let segment: string | undefined;
    let offset: number | undefined;
    let message = (e as Error)?.message ?? String(e);
    let refusals: Refusal[] | undefined;
    if (current) {
      const r = results[current.index];
      r.status = 'failed';
      segment = r.name;
      offset = current.at + current.acked;
      const region = `${hex(current.at)}–${hex(current.at + current.size)}`;
      const partial = `${current.acked} of ${current.size} bytes of segment "${r.name}" were acknowledged; the region ${region} holds partial data — flash it again`;
      message = cancelled ? `Cancelled while writing segment "${r.name}" at ${hex(offset)}: ${partial}.` : `${message} (${partial}.)`;
    } else if (verifying && !(e instanceof VerifyError)) {
      const r = results[verifying.index];
      r.status = 'failed';
      segment = r.name;
      offset = verifying.offset;
      message = cancelled
        ? `Cancelled while verifying segment "${r.name}" at ${hex(verifying.offset)}: it was written but not verified; flash it again.`
        : `Verifying segment "${r.name}" at ${hex(verifying.offset)} failed: ${message} It was written but not verified; flash it again.`;
    } else if (e instanceof FlashRefusedError) {
      segment = e.refusals[0]?.segment;
      offset = e.refusals[0]?.offset;
      refusals = e.refusals;
      message = `Nothing was written. ${message}`;
    } else if (e instanceof VerifyError) {
      segment = e.segment;
      offset = e.offset;
    } else if (e instanceof SegmentWriteError) {
      segment = e.segment;
      offset = e.offset;
    } else if (cancelled) {
      message = 'Cancelled.';
    }
    const written = names(results, 'written');
    const notWritten = results.filter((r) => r.status === 'not-written' || r.status === 'failed').map((r) => r.name);
    message += ` Written: ${written.length ? written.join(', ') : 'nothing'}. Not written: ${notWritten.length ? notWritten.join(', ') : 'nothing'}.`;
    const failed: FlashEvent = { kind: 'failed', message, written, notWritten };
    if (segment !== undefined) failed.segment = segment;
    if (offset !== undefined) failed.offset = offset;
    emit(failed);
    const result: FlashResult = {
      ok: false,
      segments: results,
      seconds: (Date.now() - t0) / 1000,
      wireBytesOut: open?.transport.bytesOut ?? 0,
      wireBytesIn: open?.transport.bytesIn ?? 0,
      error: message,
    };
    if (e instanceof Error) result.errorClass = e.name;
    if (open) {
      result.chip = open.chip.name;
      result.device = open.deviceInfo();
    }
    if (cancelled) result.cancelled = true;
    if (refusals) result.refusals = refusals;
    return result;
  } finally {
    dropAhead(compressing);
    if (open) await open.close().catch(() => undefined);
    else await port?.close().catch(() => undefined);
  }
}

interface VerifyMismatch {
  at: number;
  actual: string;
  expected: string;
  what: string;
}

async function verifyWhole(s: OpenSession, p: PreparedSegment): Promise<VerifyMismatch | undefined> {
  const actual = await s.session.flashMd5(p.offset, p.image.length, `verifying segment "${p.name}"`);
  return actual === p.expectedMd5 ? undefined : { at: p.offset, actual, expected: p.expectedMd5!, what: '' };
}

/**
 * Verify only the written ranges: the comparison before writing found the rest of the segment
 * equal, so these are all that can still differ. The first range that does not match, if any.
 */
async function verifyRanges(s: OpenSession, p: PreparedSegment, ranges: { start: number; end: number }[]): Promise<VerifyMismatch | undefined> {
  const have = await s.session.flashMd5Many(
    ranges.map((g) => ({ addr: g.start, size: g.end - g.start })),
    `verifying the sectors written in segment "${p.name}"`,
  );
  for (let i = 0; i < ranges.length; i++) {
    const want = createHash('md5')
      .update(p.expected!.subarray(ranges[i].start - p.offset, ranges[i].end - p.offset))
      .digest('hex');
    if (have[i] !== want) return { at: ranges[i].start, actual: have[i], expected: want, what: ` for the rewritten range ${hex(ranges[i].start)}–${hex(ranges[i].end)}` };
  }
  return undefined;
}

/** ", in 0x4f000–0x50000" for the first few changed ranges of a segment. */
function rangesText(c: ChangedSectors): string {
  const shown = c.ranges.slice(0, 3).map((g) => `${hex(g.start)}–${hex(g.end)}`);
  return `, in ${shown.join(', ')}${c.ranges.length > 3 ? `, … (${c.ranges.length} ranges)` : ''}`;
}

function names(results: SegmentResult[], status: SegmentResult['status']): string[] {
  return results.filter((r) => r.status === status).map((r) => r.name);
}
