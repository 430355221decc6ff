// Ring 3a: the extension-host tests (test/editor/suite) with the real `vscode` API, through
// @vscode/test-electron's runTests. Here the "VS Code executable" is vscode-test-host.mjs (VS Code server from
// code-server + headless Chromium); elsewhere the same runTests call can use a downloaded desktop VS Code
// (ESP_FLASHER_VSCODE_EXECUTABLE=<path>, or "download" to let test-electron fetch one).
// Usage: node scripts/editor-tests/run-extension-tests.mjs   (after `npm run build`; exits with the tests' code)
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { buildExtensionTests } from './build-extension-tests.mjs';
import { installFakeIdf, putOnTerminalPath } from './lib/fake_build_tool.mjs';
import { prepareWorkspace } from './lib/workspace.mjs';
import { repoRoot } from './lib/tools.mjs';

const started = Date.now();
const extensionPath = process.env.ESP_FLASHER_EXTENSION_PATH ?? repoRoot;
const main = JSON.parse(readFileSync(path.join(extensionPath, 'package.json'), 'utf8')).main;
if (!main || !existsSync(path.resolve(extensionPath, main))) {
  console.error(`[editor-tests] ${path.resolve(extensionPath, main ?? 'package.json "main"')} is missing: run \`npm run build\` first`);
  process.exit(1);
}

const testsPath = await buildExtensionTests();
const workspace = await prepareWorkspace();
console.log(`[editor-tests] workspace ${workspace.folder} (${workspace.source})`);
// "Build and Flash" runs a real task: a fake idf.py first on the PATH the server (and its terminals) inherit.
const fakeBin = installFakeIdf(path.join(workspace.root, 'fakebin'));
process.env.PATH = `${fakeBin}${path.delimiter}${process.env.PATH}`;
putOnTerminalPath(workspace.folder, fakeBin);
const profile = path.join(workspace.root, 'profile');
mkdirSync(profile, { recursive: true });

const executable = process.env.ESP_FLASHER_VSCODE_EXECUTABLE;
let code = 1;
try {
  code = await runTests({
    vscodeExecutablePath: executable === 'download' ? undefined : (executable ?? path.join(repoRoot, 'scripts/editor-tests/vscode-test-host.mjs')),
    extensionDevelopmentPath: extensionPath,
    extensionTestsPath: testsPath,
    launchArgs: [workspace.folder, `--user-data-dir=${path.join(profile, 'user-data')}`, `--extensions-dir=${path.join(profile, 'extensions')}`],
    extensionTestsEnv: {
      ESP_FLASHER_TEST_BUILD_SOURCE: workspace.source,
      ESP_FLASHER_TEST_BUILD_DIR: workspace.buildDir,
      ...(process.env.ESP_FLASHER_EDITOR_SUITE ? { ESP_FLASHER_EDITOR_SUITE: process.env.ESP_FLASHER_EDITOR_SUITE } : {}),
    },
  });
} catch (error) {
  console.error(`[editor-tests] extension-host tests failed: ${error instanceof Error ? error.message : String(error)}`);
  code = typeof error?.code === 'number' && error.code !== 0 ? error.code : 1;
} finally {
  workspace.remove();
}
console.log(`[editor-tests] ring 3a ${code === 0 ? 'passed' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(code);
