// Bundles the extension-host tests (test/editor/suite/*.ts) to out/editor-tests/suite/*.js with esbuild.
// `vscode` comes from the extension host; mocha and serialport (native) are required from node_modules at run time.
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { repoRoot } from './lib/tools.mjs';

export const suiteSourceDir = path.join(repoRoot, 'test/editor/suite');
export const suiteOutDir = path.join(repoRoot, 'out/editor-tests/suite');
/** The compiled test index: pass it as extensionTestsPath. */
export const suiteIndex = path.join(suiteOutDir, 'index.js');

export async function buildExtensionTests() {
  const entries = readdirSync(suiteSourceDir)
    .filter((name) => name === 'index.ts' || name.endsWith('.test.ts'))
    .map((name) => path.join(suiteSourceDir, name));
  if (!entries.some((entry) => entry.endsWith('index.ts'))) throw new Error(`${suiteSourceDir}/index.ts (the test index) is missing`);
  rmSync(suiteOutDir, { recursive: true, force: true });
  await build({
    entryPoints: entries,
    outdir: suiteOutDir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    external: ['vscode', 'mocha', 'serialport', '@serialport/*'],
    logLevel: 'warning',
  });
  return suiteIndex;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const index = await buildExtensionTests();
  console.log(`[editor-tests] built ${path.relative(repoRoot, index)}`);
}
