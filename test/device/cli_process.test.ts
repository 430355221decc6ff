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

  it('SIGTERM during a flash: stops, releases the port and prints the summary as Ctrl-C does (exit 143)', async () => {
    const { spawn } = await import('node:child_process');
    const fs = await import('node:fs');
    const os = await import('node:os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigterm-'));
    const file = path.join(dir, 'big.bin');
    fs.writeFileSync(
      file,
      Buffer.alloc(2 * 1024 * 1024, 0x5a).map((_b, i) => (i * 2654435761) >>> 24),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'flash', '--port', 'virtual:esp32c3:timing', '--no-compress', '0x10000', file], {
      cwd: ROOT,
    });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!sent && /big/.test(stdout)) {
        sent = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    fs.rmSync(dir, { recursive: true, force: true });
    assert.ok(sent, `the flash started: ${stdout}`);
    assert.equal(code, 143, stderr);
    assert.match(stderr, /Terminated \(SIGTERM\): stopping and releasing the port/);
    assert.match(stderr, /^Error: Cancelled.* Written: nothing\. Not written: big\./m);
  });

  it('exits 2 on a usage error', async () => {
    const r = await runMain(['flash', '--baud']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Option --baud needs a value \(BAUD\)/);
  });
});
