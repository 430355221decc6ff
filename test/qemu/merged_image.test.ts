/**
 * Real-ROM ring: Espressif's QEMU with the real ESP32 mask ROM boots an encrypted merged image
 * (esp-flasher merge --encrypt-key) written raw into its flash, on development-mode eFuses whose
 * flash-encryption key is the key file used for the merge. The plain merged image on the same
 * eFuses does not boot (the ROM decrypts it to garbage), so the ciphertext is what makes it boot.
 * Uses the ring's harness (qemu_ring.ts): its availability check, lock and boot check.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cli } from '../device/cli_run';
import { CORPUS, QEMU_DIR, Workspace, bootCheck, describeRing } from './qemu_ring';

const CORPUS_01 = path.join(CORPUS, '01-esp32-idf4.4-flashenc');
const EFUSE_DEV = 'efuse-esp32-flashenc-dev-key00-1f.bin';
const KEY = path.join(QEMU_DIR, 'efuse', 'key00-1f.bin');

async function merge(...args: string[]): Promise<Buffer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'esp-flasher-qemu-merged-'));
  try {
    const out = path.join(dir, 'flash.bin');
    const r = await cli('merge', ...args, '-o', out);
    assert.equal(r.code, 0, `${r.out}\n${r.err}`);
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describeRing('real ROM (QEMU ESP32): an encrypted merged image written raw boots', 600_000, () => {
  it('corpus 01 merged with the eFuse key (8 MiB, written raw as the flash file): BOOT OK; the plain merge on the same eFuses: no boot', async () => {
    // 8 MiB: the bootloader header says 8MB, and the emulated flash chip is picked by file size.
    const enc = new Workspace(EFUSE_DEV, await merge(CORPUS_01, '--encrypt-key', KEY, '--fill-flash-size', '8MB'));
    const plain = new Workspace(EFUSE_DEV, await merge(CORPUS_01, '--fill-flash-size', '8MB'));
    try {
      const t0 = Date.now();
      const booted = await bootCheck('esp32', enc, 300);
      console.log(`      encrypted merged image: ${booted.verdict} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
      assert.ok(booted.ok, booted.log);
      assert.match(booted.verdict, /^BOOT OK: .*2nd stage bootloader > partition table > app loaded\+verified from 0x20000/);

      const refused = await bootCheck('esp32', plain, 40);
      console.log(`      plain merged image on the same eFuses: ${refused.verdict}`);
      assert.equal(refused.ok, false, refused.log);
    } finally {
      enc.remove();
      plain.remove();
    }
  });
});
