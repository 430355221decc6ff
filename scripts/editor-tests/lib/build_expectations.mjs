// What the Flash Plan tree should show for an ESP-IDF build folder, read from its flasher_args.json
// (the build's own word: segment names, offsets and "encrypted" flags), independent of the extension's reader.
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** [{ name, offset, file, encrypt }] sorted by offset. */
export function expectedSegments(buildDir) {
  const file = path.join(buildDir, 'flasher_args.json');
  const json = JSON.parse(readFileSync(file, 'utf8'));
  const segments = [];
  for (const [name, entry] of Object.entries(json)) {
    if (!entry || typeof entry !== 'object' || typeof entry.offset !== 'string' || typeof entry.file !== 'string') continue;
    segments.push({ name, offset: Number(entry.offset), file: path.join(buildDir, entry.file), encrypt: String(entry.encrypted) === 'true' });
  }
  if (segments.length === 0) throw new Error(`${file} names no images (no {offset, file} entries)`);
  return segments.sort((a, b) => a.offset - b.offset);
}
