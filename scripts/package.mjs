#!/usr/bin/env node
/**
 * Builds and packages the extension into esp-flasher-<version>.vsix with @vscode/vsce 3.9.2
 * (the last line that runs on Node 20). vsce is taken from the editor-test tools
 * (.tools/editor/vsce, `npm run tools:editor`) when they are there, else installed on first use
 * into .tools/vsce (git-ignored), so it is not a dependency of the project. The bundle carries everything it
 * needs (serialport's desktop prebuilds in dist/prebuilds, the flasher stubs in dist/stubs), so
 * vsce runs with --no-dependencies and .vscodeignore is an allow-list.
 *
 * Usage: node scripts/package.mjs [--out <file.vsix>]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const VSCE_VERSION = '3.9.2';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Our own install; the editor-test tools (npm run tools:editor) carry the same pinned vsce, used when present. */
const toolDir = path.join(root, '.tools', 'vsce');
const editorToolDir = path.join(process.env.ESP_FLASHER_EDITOR_TOOLS ?? path.join(root, '.tools', 'editor'), 'vsce');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const outArg = process.argv.indexOf('--out');
const out = outArg > 0 ? path.resolve(process.argv[outArg + 1]) : path.join(root, `${pkg.name}-${pkg.version}.vsix`);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
/** Every step has a deadline: nothing here may hang a CI job. */
const STEP_TIMEOUT_MS = 5 * 60 * 1000;

function run(cmd, args, opts = {}) {
  console.log(`$ ${[cmd, ...args].join(' ')}`);
  execFileSync(cmd, args, { cwd: root, stdio: 'inherit', timeout: STEP_TIMEOUT_MS, ...opts });
}

function installedVsceVersion(dir) {
  const f = path.join(dir, 'node_modules', '@vscode', 'vsce', 'package.json');
  return existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')).version : undefined;
}

// 1. vsce, pinned: the editor tools' copy, else ours in .tools/vsce (installed on first use).
let vsceDir = [editorToolDir, toolDir].find((d) => installedVsceVersion(d) === VSCE_VERSION);
if (!vsceDir) {
  mkdirSync(toolDir, { recursive: true });
  run(npm, ['install', '--prefix', toolDir, '--no-audit', '--no-fund', '--loglevel=error', `@vscode/vsce@${VSCE_VERSION}`]);
  if (installedVsceVersion(toolDir) !== VSCE_VERSION) {
    console.error(`Could not install @vscode/vsce@${VSCE_VERSION} into ${toolDir}. Check network access to the npm registry.`);
    process.exit(1);
  }
  vsceDir = toolDir;
}
const vsceMain = path.join(vsceDir, 'node_modules', '@vscode', 'vsce', 'vsce');

// 2. A fresh bundle.
run(process.execPath, [path.join(root, 'scripts', 'build.mjs')]);
for (const f of ['dist/extension.js', 'dist/cli.js', 'dist/deflate_worker.js']) {
  if (!existsSync(path.join(root, f))) {
    console.error(`${f} is missing after the build; see the build output above.`);
    process.exit(1);
  }
}
const prebuilds = readdirSync(path.join(root, 'dist', 'prebuilds'));

// 3. The VSIX.
run(process.execPath, [vsceMain, 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--out', out]);

const size = statSync(out).size;
console.log(`\n${path.relative(process.cwd(), out)}: ${(size / 1024).toFixed(0)} KiB, serialport prebuilds for ${prebuilds.join(', ')}.`);
console.log(`List its files with: node ${path.relative(process.cwd(), vsceMain)} ls --no-dependencies`);
