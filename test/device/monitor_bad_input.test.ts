import { strict as assert } from 'node:assert';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CrashDecoder } from '../../src/core/monitor/crash_decoder';
import { ElfDecoder } from '../../src/core/monitor/elf_decoder';
import { SerialMonitor } from '../../src/core/monitor/monitor';
import { heldPorts } from '../../src/core/transport/port_owners';
import { startPtyChip, type PtyChip } from '../../src/sim/pty_chip';
import { run as runMonitor } from '../../src/cli/cmd_monitor';
import { writeSampleIdfBuildDetailed } from '../fixtures/sample_build';
import { socatInstalled } from '../unit/sim/serialport_test_transport';
import { cli } from './cli_run';
import { bootableSegments, REAL_ELF, realElfPresent, Screen, ticks } from './monitor_helpers';

const ROOT = path.resolve(__dirname, '../..');

function llvmStrip(): string | undefined {
  for (const s of ['llvm-strip', 'llvm-strip-14']) {
    try {
      execFileSync(s, ['--version'], { stdio: 'ignore' });
      return s;
    } catch {
      /* next */
    }
  }
  return undefined;
}

describe('serial monitor with bad input: no ELF, a stripped ELF, another build, a port held by another program', function () {
  this.timeout(60000);
  if (!socatInstalled() || !realElfPresent()) {
    it('socat or ../shared images missing: skipped', function () {
      console.log('      socat not installed or shared images not present: monitor bad-input tests skipped');
      this.skip();
    });
    return;
  }
  let monitor: SerialMonitor | undefined;
  let pty: PtyChip | undefined;
  let child: ChildProcess | undefined;
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'monitor-bad-'));
  });
  afterEach(async () => {
    await monitor?.close();
    monitor = undefined;
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
    child = undefined;
    await pty?.close();
    pty = undefined;
    assert.deepEqual(heldPorts(), []);
  });

  /** A chip running the app built from the real ELF, ticking; the monitor resets it into the app. */
  async function crashingChip(): Promise<PtyChip> {
    const p = await startPtyChip({ chip: 'esp32', resetLines: true, tickMs: 40 });
    for (const s of bootableSegments('esp32', { elf: REAL_ELF })) p.chip.preloadFlash(s.offset, s.bytes);
    return p;
  }

  async function panicAndRecover(screen: Screen, m: SerialMonitor): Promise<void> {
    await screen.waitFor((t) => /app: tick 2\b/.test(t), 'the app ticking');
    await m.send('panic\n');
    await screen.waitFor(
      (t) => /Rebooting\.\.\.[\s\S]*Calling app_main\(\)[\s\S]*app: tick 2\b/.test(t.slice(t.indexOf('Guru Meditation'))),
      'the panic, the reboot and ticks again',
    );
  }

  it('no ELF: the panic is shown, one note says addresses are not decoded and why, monitoring goes on', async () => {
    pty = await crashingChip();
    const screen = new Screen();
    monitor = await SerialMonitor.open({ port: pty.path, decoder: new CrashDecoder(undefined, { noElfReason: 'no ELF beside build/app.bin (pass --elf FILE)' }), ...screen.opts });
    await panicAndRecover(screen, monitor);
    const notes = screen.text.match(/^--- Crash addresses not decoded: .*$/gm) ?? [];
    assert.deepEqual(notes, ['--- Crash addresses not decoded: no ELF beside build/app.bin (pass --elf FILE).']);
    assert.match(screen.text, /Guru Meditation Error[\s\S]*Backtrace: 0x/);
    assert.doesNotMatch(screen.text, /^--- (PC )?0x[0-9a-f]{8}:/m, 'no frame decoded');
    assert.equal(monitor.state, 'running');
  });

  it('a stripped ELF (llvm-strip --strip-all): decoding says symbols and line table are missing, frames keep their addresses, monitoring goes on', async function () {
    const strip = llvmStrip();
    if (!strip) {
      console.log('      llvm-strip not installed: skipped');
      this.skip();
    }
    const stripped = path.join(tmp, 'stripped.elf');
    execFileSync(strip!, ['--strip-all', '-o', stripped, REAL_ELF]);
    pty = await crashingChip();
    const screen = new Screen();
    monitor = await SerialMonitor.open({ port: pty.path, decoder: new CrashDecoder(ElfDecoder.load(stripped, 'esp32')), ...screen.opts });
    await panicAndRecover(screen, monitor);
    assert.match(
      screen.text,
      /^--- Decoding is partial: .*stripped\.elf has no function symbols \(the ELF is stripped\); no line table \(\.debug_line absent: built without debug information or stripped\)\.$/m,
    );
    assert.match(screen.text, /^--- PC 0x[0-9a-f]{8}: \?\? \(no line information\)$/m);
    // It is also another file than the one the app was built from: the app's printed SHA-256 says so.
    assert.match(screen.text, /Warning: the running app's ELF SHA-256 starts ec58a07e847ccb40, but .*stripped\.elf has/);
    assert.equal(monitor.state, 'running');
  });

  it("another build's ELF: the build's app image (esp_app_desc ELF SHA-256) does not match --elf, the monitor warns when it opens", async () => {
    const build = await writeSampleIdfBuildDetailed(path.join(tmp, 'project'), { chip: 'esp32', projectName: 'other_build' });
    const r = await cli('monitor', '--port', 'virtual:esp32', '--elf', REAL_ELF, '--duration', '0.3', build.buildDir);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.split('\n');
    const warning = lines.findIndex((l) =>
      /^--- Warning: .*other_build\.bin was built from an ELF with SHA-256 [0-9a-f]{16}…, but .*esp32-bootloader\.elf has ec58a07e847ccb40…: it is another build, so decoded addresses may be wrong/.test(
        l,
      ),
    );
    assert.ok(warning >= 0, r.out);
    assert.ok(warning < lines.findIndex((l) => l.startsWith('--- Monitoring')), 'warned before monitoring starts');
    // The same ELF beside the image it was built from: no warning.
    const ok = await cli('monitor', '--port', 'virtual:esp32', '--elf', REAL_ELF, '--duration', '0.3');
    assert.doesNotMatch(ok.out, /Warning/);
  });

  it('keys: listed when the monitor starts on a terminal, before the first chip line', async () => {
    pty = await startPtyChip({ chip: 'esp32c3', resetLines: true, tickMs: 30 });
    for (const s of bootableSegments('esp32c3')) pty.chip.preloadFlash(s.offset, s.bytes);
    const out: string[] = [];
    const write = (t: string): void => void out.push(t);
    const code = await runMonitor(['--port', pty.path, '--duration', '1', '--no-color'], (l) => out.push(`${l}\n`), { err: write, rawWrite: write, tty: true, debug: false });
    assert.equal(code, 0);
    const text = out.join('');
    const keys = text.indexOf('--- Keys inside the monitor:');
    assert.ok(keys >= 0, text);
    for (const k of ['---   Ctrl-]          quit', '---   Ctrl-T R        reset the chip into its app', '---   Ctrl-T P        pause/resume the output'])
      assert.ok(text.includes(k), k);
    assert.ok(keys < text.indexOf('ESP-ROM:esp32c3'), 'keys before the boot log');
    assert.ok(ticks(text.split('\n').map((l) => ({ text: l }))).length > 3, 'and then the chip output');
  });

  it('a second monitor while another program holds the port: the message names that program (pid and command line)', async () => {
    pty = await startPtyChip({ chip: 'esp32c3', resetLines: false, tickMs: 50 });
    child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'monitor', '--port', pty.path, '--no-reset', '--duration', '30'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let said = '';
    child.stdout!.on('data', (d: Buffer) => (said += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (said += d.toString()));
    const end = Date.now() + 20000;
    while (!/--- Monitoring/.test(said)) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`the other monitor did not start:\n${said}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await assert.rejects(SerialMonitor.open({ port: pty.path, ...new Screen().opts }), (e: unknown) => {
      const msg = (e as Error).message;
      assert.match(
        msg,
        new RegExp(
          `is busy: another program has it open .*: process ${child!.pid}, node --import tsx main\\.ts monitor --port ${pty!.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`,
        ),
      );
      return true;
    });
    assert.deepEqual(heldPorts(), [], 'the failed open released its claim');
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
    const screen = new Screen();
    monitor = await SerialMonitor.open({ port: pty.path, reset: false, ...screen.opts });
    await screen.waitFor((t) => /--- Monitoring/.test(t), 'the port opens once the other program has let go');
  });
});
