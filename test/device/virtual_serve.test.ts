/** `esp-flasher virtual serve`: another program (here our own CLI, as a separate process) talks to the served chip. */
import { strict as assert } from 'node:assert';
import { ChildProcess, execFile, spawn } from 'node:child_process';
import * as path from 'node:path';
import { socatInstalled } from '../unit/sim/serialport_test_transport';
import { cli } from './cli_run';

const ROOT = path.resolve(__dirname, '../..');

function runMain(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...args], { cwd: ROOT, timeout: 45_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

/** Start `virtual serve --json`; resolves with the device path once it is printed. */
function serve(spec: string): { child: ChildProcess; ready: Promise<string>; finished: Promise<{ code: number | null; lines: unknown[]; stderr: string }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'virtual', 'serve', spec, '--json', '--seconds', '50'], { cwd: ROOT });
  let stdout = '';
  let stderr = '';
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`virtual serve printed no path within 20 s: ${stderr}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const first = stdout.split('\n')[0];
      if (stdout.includes('\n')) {
        clearTimeout(timer);
        resolve((JSON.parse(first) as { path: string }).path);
      }
    });
    child.once('exit', () => reject(new Error(`virtual serve exited early: ${stderr}`)));
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const finished = new Promise<{ code: number | null; lines: unknown[]; stderr: string }>((resolve) =>
    child.once('exit', (code) =>
      resolve({
        code,
        lines: stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as unknown),
        stderr,
      }),
    ),
  );
  return { child, ready, finished };
}

describe('esp-flasher virtual serve', function () {
  this.timeout(60_000);

  it('refuses a bad spec with a usage error naming the option', async () => {
    const r = await cli('virtual', 'serve', 'esp32c3:flash=banana');
    assert.equal(r.code, 2);
    assert.match(r.err, /option "flash=banana" must be a size/);
    const v = await cli('virtual', 'frobnicate');
    assert.equal(v.code, 2);
    assert.match(v.err, /only action is "serve"/);
  });

  if (!socatInstalled()) {
    it('socat not installed: skipped', function () {
      console.log('      socat not installed: virtual serve tests skipped');
      this.skip();
    });
    return;
  }

  it('serves a chip another process flashes, and counts wire bytes and requests per opcode on SIGTERM', async () => {
    const s = serve('esp32c3:mac=24-0a-c4-00-00-01');
    try {
      const port = await s.ready;
      const r = await runMain(['info', '--port', port, '--before', 'no-reset']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Chip: +ESP32-C3/);
      assert.match(r.stdout, /MAC: +24:0a:c4:00:00:01/);
    } finally {
      s.child.kill('SIGTERM');
    }
    const done = await s.finished;
    assert.equal(done.code, 0, done.stderr);
    const stats = done.lines[1] as { stopped: string; bytesIn: number; bytesOut: number; requests: number; perOpcode: Record<string, number> };
    assert.equal(stats.stopped, 'SIGTERM');
    assert.ok(stats.perOpcode.SYNC >= 1, JSON.stringify(stats));
    assert.ok(stats.perOpcode.READ_REG >= 1, JSON.stringify(stats));
    assert.equal(
      stats.requests,
      Object.values(stats.perOpcode).reduce((a, b) => a + b, 0),
    );
    assert.ok(stats.bytesIn > 46 && stats.bytesOut > 0, JSON.stringify(stats));
  });
});
