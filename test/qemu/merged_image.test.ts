/**
 * Real-ROM ring: Espressif's QEMU with the real ESP32 mask ROM boots an encrypted merged image
 * (esp-flasher merge --encrypt-key) written raw into its flash, on development-mode eFuses whose
 * flash-encryption key is the key file used for the merge. The plain merged image on the same
 * eFuses does not boot (the ROM decrypts it to garbage), so the ciphertext is what makes it boot.
 *
 * Self-contained helper (the lead unifies it with test/qemu's helpers at merge); every QEMU run
 * holds `flock /tmp/esp-qemu.lock` (one QEMU at a time on this machine).
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../src/cli/main';

const SHARED = path.resolve(__dirname, '../..', '../shared');
const QEMU = path.join(SHARED, 'qemu');
const CORPUS_01 = path.join(SHARED, 'corpus', '01-esp32-idf4.4-flashenc');
const EFUSE_DEV = path.join(QEMU, 'efuse', 'efuse-esp32-flashenc-dev-key00-1f.bin');
const KEY = path.join(QEMU, 'efuse', 'key00-1f.bin');
const LOCK = '/tmp/esp-qemu.lock';
/** How long to wait for another QEMU user to release the lock. */
const LOCK_WAIT_S = 900;

/** Why the ring cannot run here, or undefined. */
function qemuMissing(): string | undefined {
  for (const p of [path.join(QEMU, 'boot-check.sh'), path.join(QEMU, 'bin', 'qemu-system-xtensa'), EFUSE_DEV, KEY, CORPUS_01]) {
    if (!existsSync(p)) return `${p} not present`;
  }
  const v = spawnSync(path.join(QEMU, 'bin', 'qemu-system-xtensa'), ['--version'], { encoding: 'utf8', timeout: 20_000 });
  if (v.status !== 0)
    return `qemu-system-xtensa does not run (${(v.stderr || v.error?.message || '').trim().split('\n')[0]}); apt-get install -y libglib2.0-0 libfdt1 libgcrypt20 libpcre2-8-0`;
  if (spawnSync('flock', ['--version']).status !== 0) return 'flock (util-linux) not present';
  return undefined;
}

interface BootCheck {
  ok: boolean;
  verdict: string;
  log: string;
}

/** boot-check.sh under the QEMU lock, with a deadline; the process group is killed when it passes. */
function bootCheck(chip: string, flash: string, efuse: string, seconds: number, env: Record<string, string> = {}): Promise<BootCheck> {
  return new Promise((resolve, reject) => {
    const child = spawn('flock', ['-w', String(LOCK_WAIT_S), LOCK, path.join(QEMU, 'boot-check.sh'), chip, flash, efuse, String(seconds)], {
      detached: true,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const deadline = setTimeout(
      () => {
        try {
          process.kill(-child.pid!, 'SIGTERM');
        } catch {
          // already gone
        }
        reject(new Error(`boot-check did not finish within ${LOCK_WAIT_S + seconds + 60} s (lock wait included):\n${log}`));
      },
      (LOCK_WAIT_S + seconds + 60) * 1000,
    );
    child.on('error', (e) => {
      clearTimeout(deadline);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(deadline);
      const lines = log.trim().split('\n');
      const verdict = lines[lines.length - 1] ?? '';
      if (code === 2 || !/^BOOT (OK|FAIL)/.test(verdict)) reject(new Error(`boot-check could not run (exit ${code}):\n${log}`));
      else resolve({ ok: code === 0 && verdict.startsWith('BOOT OK'), verdict, log });
    });
  });
}

async function merge(...args: string[]): Promise<void> {
  const out: string[] = [];
  const code = await runCli(['merge', ...args], { out: (l) => out.push(l), err: (l) => out.push(l) });
  assert.equal(code, 0, out.join('\n'));
}

describe('real ROM (QEMU ESP32): an encrypted merged image written raw boots', function () {
  const missing = qemuMissing();
  if (missing) {
    it('QEMU ring not available: skipped', function () {
      console.log(`      ../shared/qemu ring not available (${missing}): skipped the encrypted merged-image boot`);
      this.skip();
    });
    return;
  }
  this.timeout((2 * LOCK_WAIT_S + 600) * 1000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'esp-flasher-qemu-merged-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('corpus 01 merged with the eFuse key (8 MiB, written raw as the flash file): BOOT OK; the plain merge on the same eFuses: no boot', async () => {
    const enc = path.join(dir, 'flash-encrypted.bin');
    const plain = path.join(dir, 'flash-plain.bin');
    // 8 MiB: the bootloader header says 8MB, and the emulated flash chip is picked by file size.
    await merge(CORPUS_01, '-o', enc, '--encrypt-key', KEY, '--fill-flash-size', '8MB');
    await merge(CORPUS_01, '-o', plain, '--fill-flash-size', '8MB');

    const t0 = Date.now();
    const booted = await bootCheck('esp32', enc, EFUSE_DEV, 300);
    console.log(`      encrypted merged image: ${booted.verdict} (${((Date.now() - t0) / 1000).toFixed(0)} s incl. lock wait)`);
    assert.ok(booted.ok, booted.log);
    assert.match(booted.verdict, /^BOOT OK: .*2nd stage bootloader > partition table > app loaded\+verified from 0x20000/);

    const refused = await bootCheck('esp32', plain, EFUSE_DEV, 40, { ROM_STALL: '10' });
    console.log(`      plain merged image on the same eFuses: ${refused.verdict}`);
    assert.equal(refused.ok, false, refused.log);
  });
});
