import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { flashSegments } from '../../src/core/flash/flash_job';
import { CrashDecoder } from '../../src/core/monitor/crash_decoder';
import { ElfDecoder } from '../../src/core/monitor/elf_decoder';
import { SerialMonitor } from '../../src/core/monitor/monitor';
import { socatInstalled } from '../unit/sim/serialport_test_transport';
import { addr2line, addr2lineInstalled } from '../unit/monitor/addr2line_helpers';
import { cli } from './cli_run';
import { bootableSegments, REAL_ELF, realElfPresent, Screen } from './monitor_helpers';

describe('serial monitor decodes a crash of the flashed app (virtual chip, real ELF)', function () {
  this.timeout(60000);
  if (!socatInstalled() || !realElfPresent()) {
    it('socat or ../shared images missing: skipped', function () {
      console.log('      socat not installed or shared images not present: monitor crash test skipped');
      this.skip();
    });
    return;
  }
  let monitor: SerialMonitor | undefined;
  afterEach(async () => {
    await monitor?.close();
    monitor = undefined;
  });

  it('flash the app built from the ELF, type "panic": Guru Meditation, each backtrace PC as function at file:line (= addr2line), then the app reboots', async () => {
    const port = 'virtual:esp32:resetlines';
    const screen = new Screen();
    const decoder = new CrashDecoder(ElfDecoder.load(REAL_ELF, 'esp32'));
    monitor = await SerialMonitor.open({ port, decoder, ...screen.opts });
    const r = await flashSegments(bootableSegments('esp32', { elf: REAL_ELF }), { port });
    assert.equal(r.ok, true, r.error);
    await screen.waitFor((t) => /Resumed after a flash job[\s\S]*Calling app_main\(\)/.test(t), 'the app booting');
    await monitor.send('panic\n');
    await screen.waitFor((t) => /Rebooting\.\.\.[\s\S]*Calling app_main\(\)/.test(t), 'the panic and the reboot');
    const frames = [...screen.text.matchAll(/^--- (?:PC )?0x([0-9a-f]{8}): (\S+) at (.+):(\d+)$/gm)];
    assert.ok(frames.length >= 5, `decoded frames:\n${screen.text}`);
    assert.match(screen.text, /Guru Meditation Error[\s\S]*Backtrace: 0x/);
    assert.match(screen.text, /app_init: ELF file SHA256: {2}ec58a07e847ccb40/, 'the app printed its ELF SHA-256');
    assert.doesNotMatch(screen.text, /Warning: the running app's ELF/, 'the ELF matches: no warning');
    // `esp-flasher decode` on the same panic lines prints exactly what the monitor showed.
    const shown = screen.text.split('\n');
    const from = shown.findIndex((l) => l.startsWith('Guru Meditation Error'));
    const to = shown.indexOf('Rebooting...', from);
    const block = shown.slice(from, to);
    const chipLines = block.filter((l) => !l.startsWith('--- '));
    const decoded = await cli('decode', '--elf', REAL_ELF, '--chip', 'esp32', ...chipLines);
    assert.equal(decoded.code, 0, decoded.err);
    assert.deepEqual(decoded.out.split('\n'), block, 'decode output = monitor output for the same lines');
    if (!addr2lineInstalled()) {
      console.log('      addr2line not installed: decoded frames not compared');
      return;
    }
    const ref = addr2line(
      REAL_ELF,
      frames.map((f) => parseInt(f[1], 16)),
    );
    frames.forEach((f, i) => assert.deepEqual([f[2], f[3], Number(f[4])], [ref[i].outerFunc, ref[i].file, ref[i].line], `frame 0x${f[1]}`));
  });

  it("an ELF of another build: the app's printed ELF SHA-256 differs, the monitor warns that decoding may be wrong", async () => {
    const port = 'virtual:esp32:resetlines';
    const screen = new Screen();
    // Same code, but the decoder's file is a modified copy: its SHA-256 is not the app's.
    const copy = Buffer.from(fs.readFileSync(REAL_ELF));
    copy[copy.length - 1] ^= 0xff;
    const decoder = new CrashDecoder(new ElfDecoder('other-build.elf', new Uint8Array(copy), 'esp32'));
    monitor = await SerialMonitor.open({ port, decoder, ...screen.opts });
    const segs = bootableSegments('esp32', { elf: REAL_ELF });
    const r = await flashSegments(segs, { port });
    assert.equal(r.ok, true, r.error);
    await screen.waitFor((t) => /Calling app_main\(\)/.test(t), 'the app booting');
    await monitor.send('abort\n');
    await screen.waitFor((t) => /abort\(\) was called[\s\S]*Rebooting/.test(t), 'the abort');
    assert.match(
      screen.text,
      /Warning: the running app's ELF SHA-256 starts [0-9a-f]{16}, but other-build\.elf has [0-9a-f]{16}…: it is another build, so decoded addresses may be wrong/,
    );
  });
});
