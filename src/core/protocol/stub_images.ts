/**
 * Flasher stub images: JSON files in esptool's format (keys entry, text (base64), text_start,
 * data (base64), data_start; others ignored), from a user directory (--stub-dir: then only from
 * there), or else from a `stubs/` folder beside the bundled code or the esptool-js package (§2.7).
 * The esptool-js 0.7.0 package ships esp-flasher-stub v1.2.2 (Apache-2.0 OR MIT); see
 * stub_capabilities.ts for how each image is recognised. Files are read, never changed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChipFacts } from '../chips';
import { identifyStub, type StubIdentity } from './stub_capabilities';

export type StubImageProblem = 'dir-missing' | 'dir-not-folder' | 'dir-empty' | 'no-stub-for-chip' | 'file-invalid';

/** A stub directory or file that cannot be used; `path` names the folder or file. */
export class StubImageError extends Error {
  constructor(
    readonly problem: StubImageProblem,
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'StubImageError';
  }
}

export interface StubImage {
  entry: number;
  text: Uint8Array;
  textStart: number;
  data?: Uint8Array;
  dataStart?: number;
  /** File it was read from. */
  file: string;
  /** Which stub this image is (hash of text + data), when known. */
  identity: StubIdentity;
}

const ESPTOOL_JS_STUBS = path.join('lib', 'targets', 'stub_flasher');

/** Folders searched for stub JSON files, in order: the user's folder alone, or the bundled ones. */
export function stubSearchDirs(stubDir?: string): string[] {
  if (stubDir) return [path.resolve(stubDir)];
  const dirs: string[] = [];
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
  for (let dir = __dirname; ;) {
    const candidate = path.join(dir, 'node_modules', 'esptool-js');
    if (fs.existsSync(path.join(candidate, ESPTOOL_JS_STUBS))) return candidate;
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

const FIX_FILE = 'replace it with an esptool stub JSON file (keys entry, text, text_start, data, data_start), or flash without the stub.';

export function parseStubJson(text: string, file: string): StubImage {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new StubImageError('file-invalid', file, `Stub file ${file} is not valid JSON (${(e as Error).message}); ${FIX_FILE}`);
  }
  if (typeof j !== 'object' || j === null || Array.isArray(j)) {
    throw new StubImageError('file-invalid', file, `Stub file ${file} holds ${j === null ? 'null' : Array.isArray(j) ? 'an array' : typeof j}, not a stub object; ${FIX_FILE}`);
  }
  const o = j as Record<string, unknown>;
  const num = (k: string): number => {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new StubImageError('file-invalid', file, `Stub file ${file}: "${k}" must be an integer address; ${FIX_FILE}`);
    return v >>> 0;
  };
  if (typeof o.text !== 'string' || !o.text.length) throw new StubImageError('file-invalid', file, `Stub file ${file}: "text" (base64) is missing; ${FIX_FILE}`);
  const textBytes = Buffer.from(o.text, 'base64');
  const entry = num('entry');
  const textStart = num('text_start');
  let data: Uint8Array | undefined;
  let dataStart: number | undefined;
  if (typeof o.data === 'string' && o.data.length) {
    data = Buffer.from(o.data, 'base64');
    dataStart = num('data_start');
  }
  const img: StubImage = { entry, text: textBytes, textStart, file, identity: identifyStub(textBytes, data) };
  if (data) {
    img.data = data;
    img.dataStart = dataStart;
  }
  return img;
}

/**
 * A user's stub folder must exist, be a folder and hold stub JSON files: anything else is an
 * error, never a silent switch to the bundled stubs. Called before the port is opened.
 */
export function checkStubDir(stubDir: string): void {
  const dir = path.resolve(stubDir);
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    throw new StubImageError(
      'dir-missing',
      dir,
      `The stub folder ${dir} does not exist. Give a folder of esptool stub JSON files (such as esptool's esptool/targets/stub_flasher/2), or leave the stub folder setting empty to use the bundled stubs.`,
    );
  }
  if (!st.isDirectory()) {
    throw new StubImageError(
      'dir-not-folder',
      dir,
      `The stub folder ${dir} is a file, not a folder. Give the folder that holds the stub JSON files (esp32.json, esp32c3.json, …).`,
    );
  }
  if (!fs.readdirSync(dir).some((f) => f.toLowerCase().endsWith('.json'))) {
    throw new StubImageError(
      'dir-empty',
      dir,
      `The stub folder ${dir} holds no stub JSON files (esp32.json, esp32c3.json, …). Copy the stub files into it, or leave the stub folder setting empty to use the bundled stubs.`,
    );
  }
}

/** Find and read the stub for a chip; the error lists where it looked. */
export function loadStub(chip: ChipFacts, stubDir?: string): StubImage {
  if (stubDir) checkStubDir(stubDir);
  const dirs = stubSearchDirs(stubDir);
  for (const dir of dirs) {
    for (const base of chip.stubFiles) {
      const file = path.join(dir, `${base}.json`);
      if (fs.existsSync(file)) return parseStubJson(fs.readFileSync(file, 'utf8'), file);
    }
  }
  const wanted = chip.stubFiles.map((b) => b + '.json').join(' or ');
  if (stubDir) {
    throw new StubImageError('no-stub-for-chip', dirs[0], `The stub folder ${dirs[0]} has no stub for ${chip.displayName} (${wanted}). Add that file, or flash without the stub.`);
  }
  throw new StubImageError(
    'no-stub-for-chip',
    dirs.join(', '),
    `No flasher stub for ${chip.displayName} (${wanted}); looked in: ${dirs.join(', ')}. Point the stub folder setting at a folder of esptool stub JSON files, or flash without the stub.`,
  );
}
