import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import pako from 'pako';
import { setZlibEncoderLoader, zlibEncoder, zlibStream } from '../../../src/core/flash/zlib_stream';
import { CORPUS } from '../formats/shared_corpus';

/** An app-like buffer: repeated code-ish words, some text, a 0xFF tail. */
function appLike(n: number): Uint8Array {
  const out = new Uint8Array(n).fill(0xff);
  const text = Buffer.from('E (123) wifi: esp_wifi_connect failed, retrying in 5 s\n');
  for (let i = 0; i < n - 4096; i++) out[i] = i % 977 < 60 ? text[i % text.length] : ((i * 2654435761) >>> 24) & (i % 3 === 0 ? 0x0f : 0xff);
  return out;
}

describe('the compressed stream (zlib_stream.ts)', () => {
  it('is made by libdeflate here, not the pako fallback', () => {
    assert.equal(zlibEncoder(), 'libdeflate');
  });

  it('leaves no process-wide error listeners behind (the WebAssembly glue adds re-throwing ones)', () => {
    // The module has started by now (the test above): its listeners must be gone, and a stream
    // made afterwards must not add any either.
    const count = () => process.listenerCount('uncaughtException') + process.listenerCount('unhandledRejection');
    const before = count();
    zlibStream(appLike(10_000));
    assert.equal(count(), before);
    const glue = [...process.listeners('uncaughtException'), ...process.listeners('unhandledRejection')].filter((l) => /ExitStatus|throw reason/.test(String(l)));
    assert.deepEqual(glue, [], 'a listener from the Emscripten glue is still installed');
  });

  it('falls back to pako level 9 when the WebAssembly module cannot load (still a stream the chip inflates)', () => {
    setZlibEncoderLoader(() => {
      throw new Error('WebAssembly is not available');
    });
    try {
      assert.equal(zlibEncoder(), 'pako');
      const raw = appLike(50_000);
      const z = zlibStream(raw);
      assert.deepEqual(Buffer.from(z), Buffer.from(pako.deflate(raw, { level: 9 })));
    } finally {
      setZlibEncoderLoader(undefined);
    }
    assert.equal(zlibEncoder(), 'libdeflate');
  });

  it('is a zlib stream that pako (the host inflater) and node:zlib both inflate to the input', () => {
    for (const n of [0, 1, 4095, 4096, 0x8000, 100_000]) {
      const raw = appLike(n);
      const z = zlibStream(raw);
      assert.equal(z[0] & 0x0f, 8, `n=${n}: deflate method in the zlib header`);
      assert.equal(((z[0] << 8) | z[1]) % 31, 0, `n=${n}: header check bits`);
      assert.deepEqual(Buffer.from(pako.inflate(z)), Buffer.from(raw), `n=${n}: pako`);
      assert.deepEqual(zlib.inflateSync(z), Buffer.from(raw), `n=${n}: node:zlib`);
    }
  });

  const app = path.join(CORPUS, '09-esp32c6-ota', 'simple_ota.bin');
  (existsSync(app) ? it : it.skip)(`is smaller than zlib level 9 on a real app (${existsSync(app) ? "corpus 09's" : 'shared corpus not present: skipped'})`, () => {
    const raw = new Uint8Array(readFileSync(app));
    const ours = zlibStream(raw);
    const zlib9 = pako.deflate(raw, { level: 9 });
    assert.ok(ours.length < zlib9.length * 0.99, `${ours.length} bytes against zlib level 9's ${zlib9.length}`);
    assert.deepEqual(Buffer.from(pako.inflate(ours)), Buffer.from(raw));
  });
});
