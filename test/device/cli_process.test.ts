/** The CLI as a program (`tsx src/cli/main.ts`): exit codes, stdout/stderr, no hanging. */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

function runMain(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...args], { cwd: ROOT, timeout: 45_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('cli as a program', function () {
  this.timeout(60_000);

  it('prints the version and exits 0', async () => {
    const r = await runMain(['--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^esp-flasher \d+\.\d+\.\d+\n$/);
  });

  it('talks to a virtual chip and exits 0', async () => {
    const r = await runMain(['info', '--port', 'virtual:esp32c6']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Chip: +ESP32-C6/m);
  });

  it('exits 1 with one error paragraph on stderr and no stack trace', async () => {
    const r = await runMain(['read', '--port', '/dev/esp-flasher-no-such-port', '0', '16', 'x.bin']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^Error: .*\/dev\/esp-flasher-no-such-port/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  it('exits 2 on a usage error', async () => {
    const r = await runMain(['flash', '--baud']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Option --baud needs a value \(BAUD\)/);
  });
});
