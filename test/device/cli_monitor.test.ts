import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeSampleIdfBuildDetailed } from '../fixtures/sample_build';
import { cli } from './cli_run';
import { REAL_ELF, realElfPresent } from './monitor_helpers';
import { socatMissing } from './flash_helpers';

describe('esp-flasher monitor, flash --monitor, decode (command line, virtual chip)', function () {
  this.timeout(60000);
  if (socatMissing('CLI monitor tests')) return;
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-monitor-'));
  });

  it('--help lists the options and the keys', async () => {
    const r = await cli('monitor', '--help');
    assert.equal(r.code, 0);
    for (const want of ['--elf FILE', '--no-reset', '--raw', '--timestamps', '--log FILE', 'Ctrl-]', 'Ctrl-T R', 'Ctrl-T P']) assert.ok(r.out.includes(want), want);
  });

  it("flash --monitor: flashes the build, shows the new firmware's whole boot, logs to a file, stops after --duration", async () => {
    const build = await writeSampleIdfBuildDetailed(path.join(tmp, 'project'), { chip: 'esp32c3', projectName: 'monitor_demo' });
    const log = path.join(tmp, 'serial.log');
    const r = await cli('flash', '--port', 'virtual:esp32c3:resetlines:ticks=100', '--monitor', '--duration', '3', '--timestamps', '--log', log, build.buildDir);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /--- Crash addresses will not be decoded: no ELF beside .*monitor_demo\.bin \(looked for monitor_demo\.elf\); pass --elf FILE\./);
    assert.match(r.out, /--- Paused: a flash job is using virtual:esp32c3/);
    assert.match(r.out, /--- Resumed after a flash job\.\n\d\d:\d\d:\d\d\.\d{3} ESP-ROM:esp32c3/);
    assert.match(r.out, /app_init: Project name: +monitor_demo/);
    assert.match(r.out, /app: tick 3\n/);
    assert.match(r.out, /--- Monitor stopped after 3 s \(--duration\)/);
    const logged = fs.readFileSync(log, 'utf8');
    assert.match(logged, /\d\d:\d\d:\d\d\.\d{3} I \(\d+\) main_task: Calling app_main\(\)\n/);
  });

  it('flash --monitor of a build that asks for no reset after flashing: says the chip stays in the loader and which key resets it', async () => {
    const build = await writeSampleIdfBuildDetailed(path.join(tmp, 'noreset'), { chip: 'esp32c3', projectName: 'stays' });
    const r = await cli('flash', '--port', 'virtual:esp32c3:resetlines:ticks=100', '--after', 'no-reset', '--monitor', '--duration', '2', build.buildDir);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /--- The chip is staying in the loader \(no reset after flashing was asked for\): Ctrl-T R resets it into the new firmware\./);
    assert.doesNotMatch(r.out, /Calling app_main\(\)/, 'the new firmware did not start by itself');
  });

  it('monitor --raw on a port without reset lines: says nothing was reset, stops after --duration', async () => {
    const r = await cli('monitor', '--port', 'virtual:esp32s3', '--raw', '--duration', '0.3');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /no DTR\/RTS lines: not reset/);
  });

  it("--raw shows the bytes as they come (\\r\\n kept, no line splitting); the default splits lines (an empty chip's boot log)", async () => {
    const raw = await cli('monitor', '--port', 'virtual:esp32c3:resetlines:ticks=50', '--raw', '--duration', '1');
    assert.equal(raw.code, 0, raw.err);
    assert.match(raw.out, /\(raw\)\./);
    assert.match(raw.out, /\nESP-ROM:esp32c3 \(virtual chip\)\r\nrst:0x1 \(POWERON_RESET\),boot:0x13 \(SPI_FAST_FLASH_BOOT\)\r\ninvalid header: 0xffffffff\r\n/);
    const lines = await cli('monitor', '--port', 'virtual:esp32c3:resetlines:ticks=50', '--duration', '1');
    assert.match(lines.out, /\nESP-ROM:esp32c3 \(virtual chip\)\nrst:0x1 \(POWERON_RESET\),boot:0x13 \(SPI_FAST_FLASH_BOOT\)\ninvalid header: 0xffffffff\n/);
    assert.doesNotMatch(lines.out, /\r/);
  });

  it('--no-reset leaves the chip alone (no reset, no boot log); without it the chip restarts into its app', async () => {
    const port = 'virtual:esp32c3:resetlines:ticks=50';
    const left = await cli('monitor', '--port', port, '--no-reset', '--duration', '0.6');
    assert.equal(left.code, 0, left.err);
    assert.doesNotMatch(left.out, /Reset the chip|ESP-ROM/);
    const reset = await cli('monitor', '--port', port, '--duration', '0.6');
    assert.match(reset.out, /--- Reset the chip into its app \(DTR\/RTS\)\.\nESP-ROM:esp32c3/);
  });

  it('--filter shows only the tags and levels asked for ("app:N *:I" hides the app\'s ticks, keeps the boot log)', async () => {
    const build = await writeSampleIdfBuildDetailed(path.join(tmp, 'filter'), { chip: 'esp32c3', projectName: 'filtered' });
    const r = await cli('flash', '--port', 'virtual:esp32c3:resetlines:ticks=30', '--monitor', '--filter', 'app:N *:I', '--duration', '1.5', build.buildDir);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /I \(\d+\) main_task: Calling app_main\(\)/);
    assert.doesNotMatch(r.out, /app: tick/);
    const bad = await cli('monitor', '--port', 'virtual:esp32c3', '--filter', 'wifi:Q');
    assert.notEqual(bad.code, 0);
    assert.match(bad.err, /Filter "wifi:Q" is not tag:LEVEL/);
  });

  it('decode prints each line and its frames as the monitor does; --elf missing is a usage error', async function () {
    if (!realElfPresent()) {
      console.log('      shared images not present: skipped');
      this.skip();
    }
    const r = await cli('decode', '--elf', REAL_ELF, '--chip', 'esp32', 'Backtrace: 0x40098118:0x3ffb5f00 0x40007d10:0x3ffb5f40');
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.out.split('\n'), [
      'Backtrace: 0x40098118:0x3ffb5f00 0x40007d10:0x3ffb5f40',
      '--- 0x40098118: call_start_cpu0 at /home/gus/esp/32/idf/components/bootloader/src/main/./bootloader_start.c:64',
      '--- 0x40007d10: in ROM',
    ]);
    const bad = await cli('decode', '0x40098118');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--elf FILE is required/);
    const missing = await cli('decode', '--elf', path.join(tmp, 'nope.elf'), '0x1');
    assert.equal(missing.code, 1);
    assert.match(missing.err, /Cannot read the ELF file .*nope\.elf \(ENOENT\)/);
  });
});
