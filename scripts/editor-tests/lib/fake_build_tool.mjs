// A stand-in `idf.py` for the editor tests' "Build and Flash": a real program on PATH that the extension runs as a
// task in the terminal. It "builds" by writing a stamp into the first plain image of build/flasher_args.json (so a
// test can see that the plan was read again and the new bytes flashed), records how it was called in
// build/.fake-idf.json, takes `ESP_FAKE_BUILD_SECONDS` (default 2) so the running build can be seen, and fails with
// exit code 3 when the project holds a file named .fake-idf-fail.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const SCRIPT = `#!/usr/bin/env node
const fs = require('fs');
const path = require('path');
const cwd = process.cwd();
const args = process.argv.slice(2);
console.log('fake idf.py ' + args.join(' ') + ' in ' + cwd);
if (fs.existsSync(path.join(cwd, '.fake-idf-fail'))) {
  console.log('ninja: build stopped: subcommand failed.');
  process.exit(3);
}
const build = path.join(cwd, 'build');
const flasherArgs = JSON.parse(fs.readFileSync(path.join(build, 'flasher_args.json'), 'utf8'));
const plain = Object.values(flasherArgs).find((e) => e && typeof e === 'object' && e.file && String(e.encrypted) === 'false');
const stamp = Buffer.from('FAKE idf.py build ' + new Date().toISOString() + '\\n');
const seconds = Number(process.env.ESP_FAKE_BUILD_SECONDS || 2);
let step = 0;
const steps = ['[1/4] Generating project_elf_src', '[2/4] Building C object main.c.obj', '[3/4] Linking CXX executable app.elf', '[4/4] Generating binary image'];
const timer = setInterval(() => {
  if (step < steps.length) console.log(steps[step++]);
}, (seconds * 1000) / (steps.length + 1));
setTimeout(() => {
  clearInterval(timer);
  if (plain) {
    const file = path.join(build, plain.file);
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, stamp, 0, stamp.length, 0);
    fs.closeSync(fd);
    console.log('Wrote ' + plain.file);
  }
  fs.writeFileSync(path.join(build, '.fake-idf.json'), JSON.stringify({ args, cwd, stamp: stamp.toString(), file: plain && plain.file }));
  console.log('Project build complete.');
}, seconds * 1000);
`;

/** Writes <dir>/idf.py and returns <dir> (put it first on PATH). */
export function installFakeIdf(dir) {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'idf.py');
  writeFileSync(file, SCRIPT);
  chmodSync(file, 0o755);
  return dir;
}

/**
 * Puts `binDir` first on the PATH of the workspace's terminals and tasks (.vscode/settings.json). The process PATH is
 * not enough: VS Code resolves the shell environment with a login shell, which resets PATH from /etc/profile.
 */
export function putOnTerminalPath(folder, binDir) {
  const file = path.join(folder, '.vscode/settings.json');
  const settings = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  settings['terminal.integrated.env.linux'] = { ...(settings['terminal.integrated.env.linux'] ?? {}), PATH: `${binDir}${path.delimiter}\${env:PATH}` };
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(settings, null, 2) + '\n');
}
