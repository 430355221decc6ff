/**
 * The real esptool 4.12 (../shared/peers/esptool-4.12.0, Debian's python3 + python3-serial +
 * python3-intelhex) writes flash on a DEFAULT virtual chip through a pseudo-terminal: with its
 * stub set 2 (esp-flasher-stub v0.7.0), set 1 (legacy stub v1.11.1) and the ROM loader. The chip
 * must recognise each uploaded stub by its image and answer as that stub does — esptool 4.12
 * sends a 5-word FLASH_DEFL_BEGIN, which a chip modelling the pre-v1.10 legacy stub refuses.
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChipName } from '../../src/core/chips';
import { socatInstalled } from '../unit/sim/serialport_test_transport';
import { ptyChipsPerTest, tempDirPerSuite } from './flash_helpers';

const ESPTOOL = path.resolve(__dirname, '../../../shared/peers/esptool-4.12.0/esptool.py');
const PYTHON = '/usr/bin/python3';

/** Why esptool cannot run here, or undefined when it can. */
function whyNot(): string | undefined {
  if (!fs.existsSync(ESPTOOL)) return 'shared esptool 4.12 peer not present (../shared/peers/esptool-4.12.0)';
  if (!socatInstalled()) return 'socat not installed';
  const py = spawnSync(PYTHON, ['-c', 'import serial, intelhex'], { stdio: 'ignore' });
  if (py.error || py.status !== 0) return `${PYTHON} with pyserial and intelhex not available (apt-get install python3-serial python3-intelhex)`;
  return undefined;
}

function runEsptool(args: string[], timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(PYTHON, [ESPTOOL, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      out += `\n[test] esptool still running after ${timeoutMs} ms: killed`;
      p.kill('SIGKILL');
    }, timeoutMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** Data that deflates to about half (so esptool's compressed path has several blocks). */
function payload(n: number): Buffer {
  const b = Buffer.alloc(n, 0x20);
  for (let at = 0, i = 0; at < n; at += 64, i++)
    crypto
      .createHash('sha256')
      .update(`p${i}`)
      .digest()
      .copy(b, at, 0, Math.min(32, n - at));
  return b;
}

describe('the real esptool 4.12 against a default virtual chip (pty)', function () {
  this.timeout(120_000);
  const why = whyNot();
  if (why) {
    it(`${why}: skipped`, function () {
      console.log(`      ${why}: esptool 4.12 peer tests skipped`);
      this.skip();
    });
    return;
  }
  const chips = ptyChipsPerTest();
  const tmp = tempDirPerSuite('esptool-peer-');

  const CASES: { chip: ChipName; how: string; args: string[]; stub?: { model: string; known: boolean } }[] = [
    { chip: 'esp32c3', how: 'stub set 2 (esp-flasher-stub v0.7.0)', args: ['--stub-version', '2'], stub: { model: 'current', known: true } },
    { chip: 'esp32c3', how: 'stub set 1 (legacy stub v1.11.1)', args: ['--stub-version', '1'], stub: { model: 'legacy-1.10', known: true } },
    { chip: 'esp32c3', how: 'ROM loader (--no-stub)', args: ['--no-stub'] },
    { chip: 'esp32', how: 'stub set 2 (esp-flasher-stub v0.7.0)', args: ['--stub-version', '2'], stub: { model: 'current', known: true } },
    { chip: 'esp32', how: 'stub set 1 (legacy stub v1.11.1)', args: ['--stub-version', '1'], stub: { model: 'legacy-1.10', known: true } },
    { chip: 'esp32', how: 'ROM loader (--no-stub)', args: ['--no-stub'] },
  ];
  for (const c of CASES) {
    it(`${c.chip}, ${c.how}: write_flash puts the file's bytes in flash`, async () => {
      const pty = await chips.start({ chip: c.chip });
      const file = path.join(tmp.path, `${c.chip}-${c.args.join('')}.bin`);
      const data = payload(150_000);
      fs.writeFileSync(file, data);
      const r = await runEsptool(['--chip', c.chip, '--port', pty.path, '--before', 'no_reset', '--after', 'no_reset', ...c.args, 'write_flash', '0x10000', file], 100_000);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /Hash of data verified/);
      assert.ok(Buffer.from(pty.chip.readFlash(0x10000, data.length)).equals(data), `flash at 0x10000 differs from the file\n${r.out}`);
      assert.deepEqual(pty.chip.stubsStarted, c.stub ? [c.stub] : []);
    });
  }

  for (const set of ['1', '2']) {
    it(`esp32c3 development mode, stub set ${set}: write_flash --encrypt stores the XTS ciphertext of the file`, async () => {
      const pty = await chips.start({ chip: 'esp32c3', encryption: 'development' });
      const file = path.join(tmp.path, `enc-${set}.bin`);
      const data = payload(0x8000);
      fs.writeFileSync(file, data);
      const r = await runEsptool(
        ['--chip', 'esp32c3', '--port', pty.path, '--before', 'no_reset', '--after', 'no_reset', '--stub-version', set, 'write_flash', '--encrypt', '0x20000', file],
        100_000,
      );
      assert.equal(r.code, 0, r.out);
      const raw = Buffer.from(pty.chip.readFlash(0x20000, data.length));
      assert.ok(!raw.equals(data), 'flash holds ciphertext, not the plaintext');
      assert.ok(raw.equals(Buffer.from(pty.chip.encryptForFlash(0x20000, data))), `flash is not the chip's ciphertext of the file\n${r.out}`);
    });
  }
});
