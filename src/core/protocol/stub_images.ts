/**
 * Flasher stub images: JSON files in esptool's format (keys entry, text (base64), text_start,
 * data (base64), data_start; others ignored), from a user directory, from a `stubs/` folder
 * beside the bundled code, or from the esptool-js package (§2.7). Files are read, never changed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChipFacts } from '../chips';

export interface StubImage {
  entry: number;
  text: Uint8Array;
  textStart: number;
  data?: Uint8Array;
  dataStart?: number;
  /** File it was read from. */
  file: string;
}

const ESPTOOL_JS_STUBS = path.join('lib', 'targets', 'stub_flasher');

/** Folders searched for stub JSON files, in order. */
export function stubSearchDirs(stubDir?: string): string[] {
  const dirs: string[] = [];
  if (stubDir) dirs.push(path.resolve(stubDir));
  dirs.push(path.join(__dirname, 'stubs'));
  const pkg = esptoolJsFolder();
  if (pkg) dirs.push(path.join(pkg, ESPTOOL_JS_STUBS));
  return dirs;
}

/** The esptool-js package folder: require.resolve first, then a walk up from this file. */
export function esptoolJsFolder(): string | undefined {
  try {
    return path.dirname(require.resolve('esptool-js/package.json'));
  } catch {
    // "exports" may block the package.json subpath, or the bundle has no node_modules resolution.
  }
  for (let dir = __dirname; ; ) {
    const candidate = path.join(dir, 'node_modules', 'esptool-js');
    if (fs.existsSync(path.join(candidate, ESPTOOL_JS_STUBS))) return candidate;
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

export function parseStubJson(text: string, file: string): StubImage {
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`Stub file ${file} is not valid JSON (${(e as Error).message}); replace it with an esptool stub JSON file.`);
  }
  const num = (k: string): number => {
    const v = j[k];
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`Stub file ${file}: "${k}" must be an integer address.`);
    return v >>> 0;
  };
  if (typeof j.text !== 'string') throw new Error(`Stub file ${file}: "text" (base64) is missing.`);
  const img: StubImage = { entry: num('entry'), text: Buffer.from(j.text, 'base64'), textStart: num('text_start'), file };
  if (typeof j.data === 'string' && j.data.length) {
    img.data = Buffer.from(j.data, 'base64');
    img.dataStart = num('data_start');
  }
  return img;
}

/** Find and read the stub for a chip; the error lists where it looked. */
export function loadStub(chip: ChipFacts, stubDir?: string): StubImage {
  const dirs = stubSearchDirs(stubDir);
  for (const dir of dirs) {
    for (const base of chip.stubFiles) {
      const file = path.join(dir, `${base}.json`);
      if (fs.existsSync(file)) return parseStubJson(fs.readFileSync(file, 'utf8'), file);
    }
  }
  throw new Error(
    `No flasher stub for ${chip.displayName} (${chip.stubFiles.map((b) => b + '.json').join(' or ')}); looked in: ${dirs.join(', ')}. ` +
      `Point the stub directory setting (--stub-dir) at a folder of esptool stub JSON files, or flash without the stub (--no-stub).`,
  );
}
