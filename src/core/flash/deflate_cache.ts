/**
 * Deflate (pako, level 9) with a small cache keyed by the data's SHA-256: a production line
 * writing the same image to 8 devices compresses it once instead of 8 times (pako level 9 is
 * the largest host cost per device: ≈ 0.3–0.9 s of CPU per MiB). The result is shared: callers
 * must not modify it.
 */
import { createHash } from 'node:crypto';
import pako from 'pako';

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
  const compressed = pako.deflate(data, { level: 9 });
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
  result: Promise<Uint8Array>;
  users: number;
  stop(): void;
}

/** Compressions under way, by content: one per distinct data however many jobs ask. */
const running = new Map<string, Running>();
/** Input per step: pako level 9 takes 1–3 ms for 8 KiB, so the I/O it shares the event loop with waits no longer. */
const STEP = 8 * 1024;

/**
 * Start compressing `data` now, 8 KiB at a time between other work on the event loop (while a
 * job connects and the chip hashes), unless the cache holds it or the same bytes are already
 * being compressed. `release()` says this caller no longer needs it; the compression stops when
 * no caller does. The finished stream goes to the cache; pako fed in pieces without flushing
 * makes the same stream as pako.deflate in one go.
 */
export function deflateInBackground(data: Uint8Array): { release(): void } {
  const key = keyOf(data);
  if (cache.has(key) || data.length === 0) return { release: () => undefined };
  let r = running.get(key);
  if (!r) {
    let stopped = false;
    let stop = (): void => undefined;
    const result = new Promise<Uint8Array>((resolve, reject) => {
      const z = new pako.Deflate({ level: 9 });
      let at = 0;
      stop = () => {
        stopped = true;
        running.delete(key);
        reject(new Error('compression no longer needed'));
      };
      const step = (): void => {
        if (stopped) return;
        try {
          const end = Math.min(data.length, at + STEP);
          z.push(data.subarray(at, end), end >= data.length);
          at = end;
          if (at < data.length) return void setImmediate(step);
          running.delete(key);
          if (z.err) return reject(new Error(z.msg || `deflate error ${z.err}`));
          remember(key, z.result);
          resolve(z.result);
        } catch (e) {
          running.delete(key);
          reject(e as Error);
        }
      };
      setImmediate(step);
    });
    result.catch(() => undefined);
    r = { result, users: 0, stop: () => stop() };
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
  const r = running.get(keyOf(data));
  if (r) {
    const done = await r.result.catch(() => undefined);
    if (done) return done;
  }
  return deflateCached(data);
}
