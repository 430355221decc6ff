#!/usr/bin/env node
/**
 * Bundles the extension and the CLI with esbuild:
 *   dist/extension.js  (src/extension.ts, `vscode` external)
 *   dist/cli.js        (src/cli/main.ts, with a node shebang, executable)
 *   dist/deflate_worker.js (src/core/flash/deflate_worker.ts, compression on a worker thread)
 * serialport is bundled too; its native binding is loaded by node-gyp-build from
 * `<dir>/prebuilds/<platform>-<arch>/`, so the lookup is rewritten to the bundle's own folder
 * and the desktop prebuilds are copied to dist/prebuilds. The flasher stubs of esptool-js are
 * copied to dist/stubs (the core looks there).
 *
 * Usage: node scripts/build.mjs [--watch] [--minify]
 */
import * as esbuild from 'esbuild';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const watch = process.argv.includes('--watch');
const minify = process.argv.includes('--minify');

/** Desktop targets VS Code runs on (android prebuilds are left out). */
const PREBUILD_DIRS = ['darwin-x64+arm64', 'linux-x64', 'linux-arm64', 'linux-arm', 'win32-x64', 'win32-ia32', 'win32-arm64'];
const BINDINGS_DIR = path.join(root, 'node_modules', '@serialport', 'bindings-cpp');
const STUB_DIR = path.join(root, 'node_modules', 'esptool-js', 'lib', 'targets', 'stub_flasher');

/** The line in @serialport/bindings-cpp that points node-gyp-build at the package folder. */
const BINDING_LOOKUP = "(0, node_gyp_build_1.default)((0, path_1.join)(__dirname, '../'))";

const serialportPrebuildsPlugin = {
  name: 'serialport-prebuilds-next-to-bundle',
  setup(build) {
    build.onLoad({ filter: /[\\/]@serialport[\\/]bindings-cpp[\\/]dist[\\/]serialport-bindings\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes(BINDING_LOOKUP)) {
        throw new Error(
          `${args.path}: the node-gyp-build call changed (expected ${BINDING_LOOKUP}). ` + 'Update scripts/build.mjs so the native binding is still found next to the bundle.',
        );
      }
      // In the bundle, __dirname is dist/: node-gyp-build then finds dist/prebuilds/<platform>-<arch>.
      return { contents: source.replace(BINDING_LOOKUP, '(0, node_gyp_build_1.default)(__dirname)'), loader: 'js' };
    });
  },
};

function copyAssets() {
  const prebuildsOut = path.join(dist, 'prebuilds');
  rmSync(prebuildsOut, { recursive: true, force: true });
  for (const dir of PREBUILD_DIRS) {
    const from = path.join(BINDINGS_DIR, 'prebuilds', dir);
    if (!existsSync(from)) throw new Error(`${from} is missing: run "npm ci" (serialport's prebuilds come with @serialport/bindings-cpp).`);
    cpSync(from, path.join(prebuildsOut, dir), { recursive: true });
  }
  const stubsOut = path.join(dist, 'stubs');
  rmSync(stubsOut, { recursive: true, force: true });
  mkdirSync(stubsOut, { recursive: true });
  if (!existsSync(STUB_DIR)) throw new Error(`${STUB_DIR} is missing: run "npm ci" (the stubs come with esptool-js).`);
  const stubs = readdirSync(STUB_DIR).filter((f) => f.endsWith('.json'));
  for (const f of stubs) cpSync(path.join(STUB_DIR, f), path.join(stubsOut, f));
  return { prebuilds: PREBUILD_DIRS.length, stubs: stubs.length };
}

const common = {
  bundle: true,
  // libdeflate's WebAssembly wrapper is an ES module that reads `import.meta.url` when it loads.
  define: { 'import.meta.url': 'importMetaUrl' },
  inject: [path.join(root, 'scripts', 'import_meta_url.js')],
  format: 'cjs',
  platform: 'node',
  target: 'node18',
  minify,
  sourcemap: watch ? 'linked' : false,
  logLevel: 'warning',
  plugins: [serialportPrebuildsPlugin],
  absWorkingDir: root,
};

const targets = [{ ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] }];
// The compression worker (src/core/flash/deflate_cache.ts looks for it next to the bundle).
targets.push({ ...common, entryPoints: ['src/core/flash/deflate_worker.ts'], outfile: 'dist/deflate_worker.js' });
const cliEntry = path.join(root, 'src', 'cli', 'main.ts');
if (existsSync(cliEntry)) {
  targets.push({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } });
} else {
  console.warn('src/cli/main.ts not found: dist/cli.js is not built.');
}

function afterBuild() {
  const cli = path.join(dist, 'cli.js');
  if (existsSync(cli)) chmodSync(cli, 0o755);
  const sizes = targets
    .map((t) => path.join(root, t.outfile))
    .filter(existsSync)
    .map((f) => `${path.relative(root, f)} ${(statSync(f).size / 1024).toFixed(0)} KiB`);
  return sizes.join(', ');
}

mkdirSync(dist, { recursive: true });
// Source maps only come with --watch; drop stale ones so a release build holds none.
if (!watch) for (const f of readdirSync(dist).filter((f) => f.endsWith('.js.map'))) rmSync(path.join(dist, f));
const assets = copyAssets();
if (watch) {
  const contexts = await Promise.all(
    targets.map((t) =>
      esbuild.context({
        ...t,
        plugins: [...t.plugins, { name: 'report', setup: (b) => b.onEnd((r) => r.errors.length || console.log(`[watch] built ${t.outfile}; ${afterBuild()}`)) }],
      }),
    ),
  );
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('[watch] watching src/ (Ctrl-C stops)');
} else {
  // Each bundle on its own: a broken CLI does not stop the extension from building (and vice versa).
  const results = await Promise.allSettled(targets.map((t) => esbuild.build(t)));
  const failed = targets.filter((_, i) => results[i].status === 'rejected').map((t) => t.outfile);
  console.log(`Built ${afterBuild()}; copied ${assets.prebuilds} serialport prebuild folders and ${assets.stubs} stubs to dist/.`);
  if (failed.length) {
    // esbuild has printed the errors with file and line
    console.error(`Failed: ${failed.join(', ')} (see the errors above).`);
    process.exit(1);
  }
}
