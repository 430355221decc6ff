/**
 * Test index for the extension host (extensionTestsPath): VS Code calls run() after loading the extension
 * under development; it runs every bundled *.test.js beside it with mocha and rejects when any test fails,
 * which makes the editor exit non-zero.
 */
import * as fs from 'fs';
import * as path from 'path';
import Mocha = require('mocha');

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  const files = fs
    .readdirSync(__dirname)
    .filter((name) => name.endsWith('.test.js'))
    .sort();
  if (files.length === 0) throw new Error(`no *.test.js files next to ${__filename}: build them with scripts/editor-tests/build-extension-tests.mjs`);
  for (const file of files) mocha.addFile(path.join(__dirname, file));
  const failures = await new Promise<number>((resolve) => mocha.run(resolve));
  if (failures > 0) throw new Error(`${failures} editor test(s) failed`);
}
