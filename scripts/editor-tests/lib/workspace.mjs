// Temporary workspaces holding a real ESP-IDF build: a copy of a ../shared/corpus set (so tests may write
// .vscode state beside it), or — when ../shared is missing — the generated sample build from
// src/fixtures/sample_build.ts.
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './tools.mjs';

export const sharedDir = path.resolve(repoRoot, '../shared');
/** ESP32-S3, development-mode flash encryption, with a plain 2 MB data image beside the encrypted ones. */
export const ENCRYPTED_S3_SET = '02-esp32s3-idf5.0-flashenc-storage';

/**
 * Creates <tmp>/workspace with build/ and .vscode/settings.json.
 * Returns { root, folder, buildDir, source, remove } — `remove()` deletes everything it made.
 */
export async function prepareWorkspace({ set = ENCRYPTED_S3_SET, chip = 'esp32s3', settings = {}, log = console.log } = {}) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'esp-flasher-editor-'));
  const folder = path.join(root, 'workspace');
  const buildDir = path.join(folder, 'build');
  mkdirSync(folder, { recursive: true });
  let source;
  const setDir = path.join(sharedDir, 'corpus', set);
  if (existsSync(setDir)) {
    cpSync(setDir, buildDir, { recursive: true });
    source = `corpus:${set}`;
  } else {
    log(`[editor-tests] shared corpus not present (${setDir}): using the generated sample build (src/fixtures/sample_build.ts, ${chip}, development flash encryption)`);
    const fixture = path.join(repoRoot, 'src/fixtures/sample_build.ts');
    if (!existsSync(fixture)) throw new Error(`${fixture} is missing: it provides writeSampleIdfBuild() for machines without ../shared`);
    const { tsImport } = await import('tsx/esm/api');
    const module = await tsImport(pathToFileURL(fixture).href, import.meta.url);
    const writeSampleIdfBuild = module.writeSampleIdfBuild ?? module.default?.writeSampleIdfBuild;
    if (typeof writeSampleIdfBuild !== 'function') throw new Error(`${fixture} does not export writeSampleIdfBuild(dir, options)`);
    mkdirSync(buildDir, { recursive: true });
    await writeSampleIdfBuild(buildDir, { chip, flashEncryption: 'development' });
    source = 'generated:sample_build';
  }
  if (Object.keys(settings).length) {
    mkdirSync(path.join(folder, '.vscode'), { recursive: true });
    writeFileSync(path.join(folder, '.vscode/settings.json'), JSON.stringify(settings, null, 2) + '\n');
  }
  return { root, folder, buildDir, source, remove: () => rmSync(root, { recursive: true, force: true }) };
}
