/**
 * Worker thread of deflate_cache.ts: compresses (pako, level 9) what it is sent, so the event loop
 * that talks to the chip is never blocked by it. Bundled as dist/deflate_worker.js; run from the
 * sources through the TypeScript loader the parent was started with.
 */
import { parentPort } from 'node:worker_threads';
import { zlibStream } from './zlib_stream';

parentPort?.on('message', (data: Uint8Array) => {
  try {
    const out = zlibStream(data);
    parentPort!.postMessage({ ok: true, out }, [out.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort!.postMessage({ ok: false, error: (e as Error).message });
  }
});
