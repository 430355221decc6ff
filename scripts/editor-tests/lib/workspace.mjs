// Temporary workspaces holding a real ESP-IDF build: a copy of a ../shared/corpus set (so tests may write
// .vscode state beside it), or — when ../shared is missing — the generated sample build from
// test/fixtures/sample_build.ts.
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './tools.mjs';

/** ../shared beside the repo (ESP_FLASHER_SHARED_DIR overrides it, e.g. to try the no-corpus path). */
export const sharedDir = path.resolve(process.env.ESP_FLASHER_SHARED_DIR ?? path.join(repoRoot, '../shared'));
/** ESP32-S3, development-mode flash encryption, with a plain 2 MB data image beside the encrypted ones. */
export const ENCRYPTED_S3_SET = '02-esp32s3-idf5.0-flashenc-storage';

/**
 * Creates <tmp>/workspace with build/ and .vscode/settings.json.
 * Returns { root, folder, buildDir, source, remove } — `remove()` deletes everything it made.
 */
export async function prepareWorkspace({ set = ENCRYPTED_S3_SET, chip = 'esp32s3', settings = {}, log = console.log } = {}) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'esp-flasher-editor-'));
  const folder = path.join(root, 'workspace');
  let buildDir = path.join(folder, 'build');
  mkdirSync(folder, { recursive: true });
  let source;
  const setDir = path.join(sharedDir, 'corpus', set);
  if (existsSync(setDir)) {
    cpSync(setDir, buildDir, { recursive: true });
    makeWritable(buildDir); // the corpus is read-only; the copy must be deletable and editable by tests
    source = `corpus:${set}`;
  } else {
    log(`[editor-tests] shared corpus not present (${setDir}): using the generated sample build (test/fixtures/sample_build.ts, ${chip}, development flash encryption)`);
    const fixture = path.join(repoRoot, 'test/fixtures/sample_build.ts');
    if (!existsSync(fixture)) throw new Error(`${fixture} is missing: it provides writeSampleIdfBuild() for machines without ../shared`);
    const { tsImport } = await import('tsx/esm/api');
    const module = await tsImport(pathToFileURL(fixture).href, import.meta.url);
    const writeSampleIdfBuild = module.writeSampleIdfBuild ?? module.default?.writeSampleIdfBuild;
    if (typeof writeSampleIdfBuild !== 'function') throw new Error(`${fixture} does not export writeSampleIdfBuild(dir, options)`);
    buildDir = await writeSampleIdfBuild(folder, { chip, flashEncryption: 'development' });
    source = 'generated:sample_build';
  }
  if (Object.keys(settings).length) {
    mkdirSync(path.join(folder, '.vscode'), { recursive: true });
    writeFileSync(path.join(folder, '.vscode/settings.json'), JSON.stringify(settings, null, 2) + '\n');
  }
  return { root, folder, buildDir, source, remove: () => rmSync(root, { recursive: true, force: true }) };
}

function makeWritable(dir) {
  chmodSync(dir, statSync(dir).mode | 0o700);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) makeWritable(full);
    else chmodSync(full, statSync(full).mode | 0o600);
  }
}
