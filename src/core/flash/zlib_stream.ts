/**
 * The zlib stream a compressed write sends: pako at level 9, the stream esptool's zlib level 9
 * makes (byte for byte on the bench app). Not node:zlib: its stream of corpus 12's app made
 * esptool's stub set 1 end with "not enough data" (0xC800) on the QEMU ESP32. Used on the event
 * loop (deflate_cache.ts) and on the compression worker (deflate_worker.ts).
 */
import pako from 'pako';

export function zlibStream(data: Uint8Array): Uint8Array {
  return pako.deflate(data, { level: 9 });
}
