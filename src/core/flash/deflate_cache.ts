/**
 * Deflate (pako, level 9) with a small cache keyed by the data's SHA-256: a production line
 * writing the same image to 8 devices compresses it once instead of 8 times (pako level 9 is
 * the largest host cost per device: ≈ 0.3–0.9 s of CPU per MiB). The result is shared: callers
 * must not modify it. deflateInBackground starts a compression on a worker thread (while a job
 * connects); deflateShared takes its result.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { zlibStream } from './zlib_stream';

const MAX_ENTRIES = 16;
const MAX_BYTES = 64 * 1024 * 1024;
const cache = new Map<string, Uint8Array>();
let cachedBytes = 0;

export function deflateCached(data: Uint8Array): Uint8Array {
  const key = keyOf(data);
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const compressed = zlibStream(data);
  remember(key, compressed);
  return compressed;
}

/** Forget every cached stream (benchmarks measure each run from cold). */
export function clearDeflateCache(): void {
  for (const r of [...running.values()]) r.stop();
  cache.clear();
  cachedBytes = 0;
}

/** The cache key of `data`: its SHA-256 and length. */
function keyOf(data: Uint8Array): string {
  return `${createHash('sha256').update(data).digest('hex')}:${data.length}`;
}

function remember(key: string, compressed: Uint8Array): void {
  cache.set(key, compressed);
  cachedBytes += compressed.length;
  for (const [k, v] of cache) {
    if (cache.size <= MAX_ENTRIES && cachedBytes <= MAX_BYTES) break;
    cache.delete(k);
    cachedBytes -= v.length;
  }
}

interface Running {
  /** The stream, or undefined when the worker could not make it (then it is made when needed). */
  result: Promise<Uint8Array | undefined>;
  users: number;
  stop(): void;
}

/** Compressions under way, by content: one per distinct data however many jobs ask. */
const running = new Map<string, Running>();

/**
 * How to start the compression worker: dist/deflate_worker.js next to a bundle, or from the
 * sources (tests, tools) deflate_worker.ts through tsx's loader; undefined when neither is there.
 */
function workerSpec(): { script: string; eval: boolean } | undefined {
  const bundled = path.join(__dirname, 'deflate_worker.js');
  if (existsSync(bundled)) return { script: bundled, eval: false };
  const source = path.join(__dirname, 'deflate_worker.ts');
  if (!existsSync(source)) return undefined;
  try {
    const api = require.resolve('tsx/cjs/api');
    return { script: `require(${JSON.stringify(api)}).register(); require(${JSON.stringify(source)});`, eval: true };
  } catch {
    return undefined;
  }
}

/**
 * Start compressing `data` now on a worker thread (pako level 9 takes 0.2–0.9 s of CPU per MiB,
 * in pieces of up to 100 ms: on the event loop that talks to the chip it would delay replies
 * past their deadlines while connecting), unless the cache holds it or the same bytes are
 * already being compressed. `release()` says this caller no longer needs it; the worker stops
 * when no caller does. The finished stream goes to the cache. Without a worker nothing happens
 * here and the stream is made when the write needs it.
 */
export function deflateInBackground(data: Uint8Array): { release(): void } {
  const key = keyOf(data);
  if (cache.has(key) || data.length === 0) return { release: () => undefined };
  let r = running.get(key);
  if (!r) {
    const spec = workerSpec();
    if (!spec) return { release: () => undefined };
    let worker: Worker | undefined;
    let settled = false;
    let settle: (v: Uint8Array | undefined) => void = () => undefined;
    const result = new Promise<Uint8Array | undefined>((resolve) => {
      settle = (v) => {
        if (settled) return;
        settled = true;
        if (running.get(key)?.result === result) running.delete(key);
        void worker?.terminate();
        resolve(v);
      };
    });
    try {
      worker = new Worker(spec.script, { eval: spec.eval });
      worker.once('message', (m: { ok: boolean; out?: Uint8Array }) => {
        if (m.ok && m.out) remember(key, m.out);
        settle(m.ok ? m.out : undefined);
      });
      worker.once('error', () => settle(undefined));
      worker.once('exit', () => settle(undefined));
      worker.postMessage(data);
    } catch {
      return { release: () => undefined };
    }
    r = { result, users: 0, stop: () => settle(undefined) };
    running.set(key, r);
  }
  const mine = r;
  mine.users++;
  let released = false;
  return {
    release: () => {
      if (released) return;
      released = true;
      if (--mine.users === 0 && running.get(key) === mine) mine.stop();
    },
  };
}

/** The zlib stream of `data`: from the cache, from a compression under way, or made now. */
export async function deflateShared(data: Uint8Array): Promise<Uint8Array> {
  const done = await running.get(keyOf(data))?.result;
  return done ?? deflateCached(data);
}
