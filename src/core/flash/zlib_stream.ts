/**
 * The zlib stream a compressed write sends. Made with libdeflate at level 12 (its strongest, the
 * `libdeflate` package: Eric Biggers' C library built to WebAssembly): on the bench app (1 MiB of
 * corpus 09) 599,749 bytes against 610,844 for zlib level 9 (pako 2.2 and esptool's Python zlib
 * make that same stream), 1.8 % less on the wire, in about the same host time (≈ 0.14 s per MiB).
 * Any valid zlib stream inflates the same on the chip; the real-ROM ring (test/qemu) writes and
 * boots these streams through the ESP32 and ESP32-C3 ROMs and esptool's legacy stub (set 1).
 *
 * pako level 9 stays as the fallback when the WebAssembly module cannot be loaded (the first
 * failure is remembered and logged once under NODE_DEBUG=esp-flasher). Not node:zlib: its
 * stream of corpus 12's app made esptool's stub set 1 end with "not enough data" (0xC800) on the
 * QEMU ESP32. Used on the event loop (deflate_cache.ts) and on the compression worker
 * (deflate_worker.ts).
 */
import pako from 'pako';
import { debuglog } from 'node:util';

/** libdeflate's strongest level (1–12). */
export const LIBDEFLATE_LEVEL = 12;

type Compress = (data: Uint8Array, level: number) => Uint8Array;
let libdeflateZlib: Compress | null | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const requireLibdeflate = (): Compress => (require('libdeflate') as { zlib: Compress }).zlib;
let loadEncoder: () => Compress = requireLibdeflate;

/** @internal Tests: load the encoder with `load` from the next call on (undefined: the real one). */
export function setZlibEncoderLoader(load: (() => Compress) | undefined): void {
  loadEncoder = load ?? requireLibdeflate;
  libdeflateZlib = undefined;
}
const log = debuglog('esp-flasher');

/** Process-wide listeners Emscripten's Node glue adds when its module starts. */
const GLUE_EVENTS = ['uncaughtException', 'unhandledRejection'];
/** `process` as a plain emitter (its typed overloads do not take an event name held in a variable). */
const processEvents = process as unknown as NodeJS.EventEmitter;

/**
 * Load libdeflate and start its WebAssembly module once. Emscripten's Node glue (built without
 * NODEJS_CATCH_EXIT=0) adds process-wide `uncaughtException` and `unhandledRejection` listeners
 * that re-throw: in the editor's extension host or a mocha run they would turn any stray error
 * into a crash of the whole process. The module starts synchronously on its first call, so the
 * listeners it added are taken off right after it.
 */
function loadLibdeflate(): Compress | null {
  if (libdeflateZlib !== undefined) return libdeflateZlib;
  const before = new Map(GLUE_EVENTS.map((ev) => [ev, new Set(processEvents.listeners(ev))]));
  try {
    const zlib = loadEncoder();
    zlib(new Uint8Array(0), LIBDEFLATE_LEVEL); // starts the module
    libdeflateZlib = zlib;
  } catch (e) {
    log(`libdeflate could not be loaded (${(e as Error).message}); compressing with pako level 9`);
    libdeflateZlib = null;
  } finally {
    for (const ev of GLUE_EVENTS) {
      for (const l of processEvents.listeners(ev)) if (!before.get(ev)!.has(l)) processEvents.removeListener(ev, l as (...args: unknown[]) => void);
    }
  }
  return libdeflateZlib;
}

/** Which encoder zlibStream uses here: 'libdeflate' or the 'pako' fallback. */
export function zlibEncoder(): 'libdeflate' | 'pako' {
  return loadLibdeflate() ? 'libdeflate' : 'pako';
}

export function zlibStream(data: Uint8Array): Uint8Array {
  const compress = loadLibdeflate();
  if (compress) {
    try {
      return compress(data, LIBDEFLATE_LEVEL);
    } catch (e) {
      log(`libdeflate failed (${(e as Error).message}); compressing with pako level 9`);
      libdeflateZlib = null;
    }
  }
  return pako.deflate(data, { level: 9 });
}
