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
  const key = `${createHash('sha256').update(data).digest('hex')}:${data.length}`;
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const compressed = pako.deflate(data, { level: 9 });
  cache.set(key, compressed);
  cachedBytes += compressed.length;
  for (const [k, v] of cache) {
    if (cache.size <= MAX_ENTRIES && cachedBytes <= MAX_BYTES) break;
    cache.delete(k);
    cachedBytes -= v.length;
  }
  return compressed;
}

/** Forget every cached stream (benchmarks measure each run from cold). */
export function clearDeflateCache(): void {
  cache.clear();
  cachedBytes = 0;
}
