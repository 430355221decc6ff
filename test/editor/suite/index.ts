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
  // ESP_FLASHER_EDITOR_SUITE=01,05_monitor runs only the files whose names start with one of these.
  const only = (process.env.ESP_FLASHER_EDITOR_SUITE ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const files = fs
    .readdirSync(__dirname)
    .filter((name) => name.endsWith('.test.js') && (!only.length || only.some((o) => name.startsWith(o))))
    .sort();
  if (files.length === 0) throw new Error(`no *.test.js files next to ${__filename}: build them with scripts/editor-tests/build-extension-tests.mjs`);
  for (const file of files) mocha.addFile(path.join(__dirname, file));
  const failures = await new Promise<number>((resolve) => mocha.run(resolve));
  if (failures > 0) throw new Error(`${failures} editor test(s) failed`);
}
