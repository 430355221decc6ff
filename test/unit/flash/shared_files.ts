import * as fs from 'node:fs';
import * as path from 'node:path';

/** ../shared beside the repository (corpus, vectors, images); read in place, never copied. */
export const SHARED = path.resolve(__dirname, '../../..', '../shared');

export function sharedPresent(): boolean {
  return fs.existsSync(path.join(SHARED, 'images'));
}

export function sharedFile(...parts: string[]): Uint8Array {
  return new Uint8Array(fs.readFileSync(path.join(SHARED, ...parts)));
}
