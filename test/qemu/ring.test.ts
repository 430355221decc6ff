/**
 * The real-ROM ring: Espressif's QEMU runs the ESP32 (ECO3) and ESP32-C3 mask ROMs; the product's
 * own CLI talks to them through the real serialport binding (a socat pseudo-terminal) and
 * boot-check.sh powers up what was written. Cases are chosen to keep the ring within a few
 * minutes: an encrypted ESP32 boot alone takes about a minute. One QEMU at a time
 * (/tmp/esp-qemu.lock). Without ../shared/qemu or its runtime libraries the ring says it was
 * skipped, and its tests show as pending.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../../src/cli/main';
import type { CliRun } from '../device/cli_run';
import type { LineFault } from './line_fault_proxy';
import { CORPUS, QEMU_DIR, QemuDownload, Workspace, bootCheck, describeRing, sha256, type QemuChip } from './qemu_ring';

const C01 = path.join(CORPUS, '01-esp32-idf4.4-flashenc'); // ESP32, IDF 4.4, flash encryption (development)
const C12 = path.join(CORPUS, '12-esp32-idf4.1-stub-TRUE'); // ESP32, IDF 4.1, plain
const C11 = path.join(CORPUS, '11-esp32c3-storage'); // ESP32-C3, IDF 5, with a SPIFFS partition
const STUBS_1 = path.join(QEMU_DIR, 'stubs-esptool-4.12', '1');
const STUBS_2 = path.join(QEMU_DIR, 'stubs-esptool-4.12', '2');
const EFUSE = {
  esp32: 'efuse-esp32-eco3-mac.bin',
  esp32Enc: 'efuse-esp32-flashenc-dev-key00-1f.bin',
  c3: 'efuse-esp32c3-v04-mac.bin',
  c3Enc: 'efuse-esp32c3-flashenc-dev-key20-3f.bin',
};
const HELLO = 'Decrypted data: Hello, World!';

/** What one case did, for the failure message. */
function show(r: CliRun): string {
  return `exit ${r.code}\n--- stdout\n${r.out}\n--- stderr\n${r.err}`;
}

describeRing('real-ROM ring (QEMU)', 300_000, () => {
  const spaces: Workspace[] = [];

  after(() => {
    for (const w of spaces) w.remove();
  });

  function workspace(efuse: string, flash?: Uint8Array): Workspace {
    const w = new Workspace(efuse, flash);
    spaces.push(w);
    return w;
  }

  /**
   * Start the chip in download mode, run `esp-flasher flash` on it, stop the chip. With
   * `pressResetWhen`, the test "presses RESET" once the CLI has printed a line matching it; with
   * `lineFaults`, the line damages those frames on their way to the chip.
   */
  async function flash(chip: QemuChip, ws: Workspace, args: string[], opts: { pressResetWhen?: RegExp; lineFaults?: LineFault[] } = {}): Promise<CliRun & { lineLog: string[] }> {
    const { pressResetWhen, lineFaults } = opts;
    const dev = await QemuDownload.start(chip, ws, lineFaults);
    try {
      const out: string[] = [];
      const err: string[] = [];
      const running = runCli(['flash', '--port', dev.tty, '--before', 'no-reset', '--after', 'no-reset', ...args], { out: (l) => out.push(l), err: (l) => err.push(l) });
      if (pressResetWhen) {
        for (let i = 0; i < 300 && ![...out, ...err].some((l) => pressResetWhen.test(l)); i++) await new Promise((r) => setTimeout(r, 100));
        await dev.reset();
      }
      const code = await running;
      return { code, out: out.join('\n'), err: err.join('\n'), lineLog: dev.line?.faults.applied ?? [] };
    } finally {
      await dev.stop();
    }
  }

  async function boots(chip: QemuChip, ws: Workspace, seconds: number, okRegex?: string): Promise<string> {
    const b = await bootCheck(chip, ws, seconds, okRegex);
    assert.ok(b.ok, `boot check: ${b.verdict}\n${b.log}`);
    return b.verdict;
  }

  let plainEsp32Flash: Buffer | undefined;
  let deviceEncryptedFlash: Buffer | undefined;

  it('ESP32 plain through the ROM loader boots', async () => {
    const ws = workspace(EFUSE.esp32);
    const r = await flash('esp32', ws, ['--no-stub', '-b', '115200', C12]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.out, /Using ROM loader \(stub not used\)/);
    await boots('esp32', ws, 40);
  });

  it('ESP32 ROM loader on a noisy line: after a block refused for its checksum, and one whose END byte was lost, the write resumes after what the chip confirms by MD5, and it boots', async () => {
    const ws = workspace(EFUSE.esp32);
    // Corpus 12 through the ESP32 ROM: the bootloader goes as 24 FLASH_DATA blocks (all of it is
    // in the tail the ROM's inflater would overrun), the app mostly as FLASH_DEFL_DATA. The ROM
    // used up the number of the refused block, so sending that block again could never succeed.
    // The cut-off frame is far enough into the app to leave a whole 32 KiB piece to keep even if
    // QEMU refuses a frame on its own before it.
    const lineFaults: LineFault[] = [
      { opcode: 0x03, nth: 5, kind: 'flip' },
      { opcode: 0x11, nth: 60, kind: 'drop-end' },
    ];
    const r = await flash('esp32', ws, ['--no-stub', '-b', '115200', C12], { lineFaults });
    const all = `${show(r)}\n--- line\n${r.lineLog.join('\n')}`;
    assert.equal(r.code, 0, all);
    assert.equal(r.lineLog.length, 2, all);
    // The flipped frame is the bootloader's block 4 (unless QEMU refused an earlier one on its own,
    // which shifts the count): whole sectors before it are kept, else the segment starts over.
    const flipped = /segment "bootloader" block (\d+) at 0x[0-9a-f]+: FLASH_DATA failed — ROM error 0x07: checksum error — (.*)/.exec(r.out + r.err);
    assert.ok(flipped, all);
    const kept = Math.floor((Number(flipped[1]) * 0x400) / 0x1000) * 0x1000;
    if (kept)
      assert.equal(
        flipped[2],
        `resuming segment "bootloader" at 0x${(0x1000 + kept).toString(16)} (the 0x${kept.toString(16)} bytes before it are on flash, confirmed by MD5).`,
        all,
      );
    else assert.match(flipped[2], /^restarting segment "bootloader" from its start \(attempt [23] of 3\)\.$/, all);
    assert.match(
      r.out + r.err,
      /No serial data received for the FLASH_DEFL_DATA reply .* resuming segment "app" at 0x[0-9a-f]+000 \(the 0x[0-9a-f]+ bytes before it are on flash, confirmed by MD5\)/,
      all,
    );
    await boots('esp32', ws, 40);
  });

  it("ESP32 plain through esptool 4.12's stub set 1, one block corrupted on the line and sent again alone, boots", async () => {
    const ws = workspace(EFUSE.esp32);
    // One FLASH_DEFL_DATA frame corrupted on the line: the legacy stub refuses it (0xC1) without
    // counting it, so that block alone is sent again — no restart, and the verify and boot pass.
    const r = await flash('esp32', ws, ['--stub-dir', STUBS_1, '-b', '921600', C12], { lineFaults: [{ opcode: 0x11, nth: 12, kind: 'flip' }] });
    const all = `${show(r)}\n--- line\n${r.lineLog.join('\n')}`;
    assert.equal(r.code, 0, all);
    assert.equal(r.lineLog.length, 1, all);
    assert.doesNotMatch(r.out + r.err, /stub error 0xc100[^\n]*(restarting|resuming)/, all);
    assert.match(r.out, /Flasher stub running: stub uploaded/);
    await boots('esp32', ws, 40);
    plainEsp32Flash = ws.flashBytes();
  });

  it('ESP32 changed-sector re-flash: only the damaged sector is written, and it boots', async function () {
    if (!plainEsp32Flash) assert.fail('needs the flash written by the stub set 1 case');
    const damaged = Buffer.from(plainEsp32Flash);
    for (let i = 0; i < 64; i++) damaged[0x10000 + 0x23000 + i * 16] ^= 0x5a;
    const ws = workspace(EFUSE.esp32, damaged);
    const r = await flash('esp32', ws, ['--stub-dir', STUBS_1, '-b', '921600', C12]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.out, /app: .*only the changed sectors: 1 of 164 sectors changed/);
    assert.match(r.out, /Skipped bootloader/i);
    // The previous case left a device-cache record for this chip (same MAC and flash ID); the damage refutes it.
    assert.match(r.out, /no longer holds what ESP Flasher last wrote there/);
    assert.deepEqual(ws.flashBytes(), plainEsp32Flash);
    await boots('esp32', ws, 40);
    // Again, unchanged: the device cache is confirmed by the real ROM's stub (one MD5 per segment) and nothing is written.
    const again = await flash('esp32', ws, ['--stub-dir', STUBS_1, '-b', '921600', C12]);
    assert.equal(again.code, 0, show(again));
    assert.doesNotMatch(again.out, /no longer holds/);
    assert.match(again.out, /Skipped app at 0x00010000 \(already on flash, MD5 [0-9a-f]{32}; device cache confirmed by one MD5 of the flash\)/);
    assert.doesNotMatch(again.out, /^Wrote /m);
    assert.deepEqual(ws.flashBytes(), plainEsp32Flash);
  });

  it('ESP32 development-mode encryption, --encrypt with default write options: boots and runs the app', async () => {
    const ws = workspace(EFUSE.esp32Enc);
    const r = await flash('esp32', ws, ['--stub-dir', STUBS_1, '-b', '921600', '--encrypt', C01]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.out, /encrypted by the chip/);
    // Compressed + encrypted, as the stub table allows for the legacy stub v1.11.1: proven here on every run.
    assert.match(r.out, /device-encrypted, compressed \(esptool-legacy-flasher-stub v1\.11\.1\)/, show(r));
    assert.doesNotMatch(r.out + r.err, /Warning: .*restarting/);
    deviceEncryptedFlash = ws.flashBytes();
    const v = await boots('esp32', ws, 240, HELLO);
    assert.match(v, /Hello, World!/);
  });

  it('ESP32 host-key encryption of the same build writes exactly the ciphertext the chip wrote', async () => {
    if (!deviceEncryptedFlash) assert.fail('needs the flash written by the device-encryption case');
    const ws = workspace(EFUSE.esp32Enc);
    const r = await flash('esp32', ws, ['--stub-dir', STUBS_1, '-b', '921600', '--encrypt', '--encrypt-key', path.join(QEMU_DIR, 'efuse', 'key00-1f.bin'), C01]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.out, /Hash of ciphertext verified/);
    assert.equal(sha256(ws.flashBytes()), sha256(deviceEncryptedFlash));
  });

  it('ESP32 with encrypted eFuses: a plaintext build is refused and the flash file stays untouched', async () => {
    const ws = workspace(EFUSE.esp32Enc);
    const before = sha256(ws.flashBytes());
    const r = await flash('esp32', ws, ['--stub-dir', STUBS_1, '-b', '921600', C12]);
    assert.notEqual(r.code, 0, show(r));
    assert.match(r.err, /Refusing to write segment "bootloader" at 0x1000 as plaintext/);
    assert.equal(sha256(ws.flashBytes()), before);
  });

  it('ESP32 stub that never says OHAI (esp-flasher-stub on this model): warns, resets, continues on the ROM loader; device encryption refused', async () => {
    const ws = workspace(EFUSE.esp32);
    const pt = path.join(C12, 'partition_table', 'partition-table.bin');
    const plain = await flash('esp32', ws, ['--stub-dir', STUBS_2, '-b', '115200', '0x8000', pt], { pressResetWhen: /by hand now/ });
    assert.equal(plain.code, 0, show(plain));
    assert.match(
      show(plain),
      /Warning: The flasher stub \(.*stubs-esptool-4\.12\/2\/esp32\.json\) did not start: no "OHAI" within 3 s after MEM_END\. The eFuses just read show neither Secure Boot nor Secure Download Mode/,
    );
    assert.match(show(plain), /Using ROM loader \(the flasher stub did not start\)/);
    const want = readFileSync(pt);
    assert.deepEqual(ws.flashBytes().subarray(0x8000, 0x8000 + want.length), want);

    // The same on development-mode eFuses with --encrypt: refused, nothing written.
    const enc = workspace(EFUSE.esp32Enc);
    const before = sha256(enc.flashBytes());
    const refused = await flash('esp32', enc, ['--stub-dir', STUBS_2, '-b', '115200', '--encrypt', C01], { pressResetWhen: /by hand now/ });
    assert.notEqual(refused.code, 0, show(refused));
    assert.match(show(refused), /Refusing segment "bootloader" at 0x1000: the flasher stub did not start, and the ESP32 ROM loader cannot encrypt while writing/);
    assert.equal(sha256(enc.flashBytes()), before);
  });

  it('ESP32-C3 plain through the ROM loader (with its SPIFFS partition), on a noisy line, boots', async () => {
    const ws = workspace(EFUSE.c3);
    // The C3 ROM counts a refused block's number and writes compressed output in 32 KiB pieces
    // as the ESP32 ROM does: one corrupted and one cut-off FLASH_DEFL_DATA frame on the way. The
    // cut-off one is far enough into the app that a frame QEMU refuses on its own before it
    // (a restart adds frames) still leaves a whole 32 KiB piece to keep.
    const lineFaults: LineFault[] = [
      { opcode: 0x11, nth: 5, kind: 'flip' },
      { opcode: 0x11, nth: 60, kind: 'drop-end' },
    ];
    const r = await flash('esp32c3', ws, ['--no-stub', '-b', '115200', C11], { lineFaults });
    const all = `${show(r)}\n--- line\n${r.lineLog.join('\n')}`;
    assert.equal(r.code, 0, all);
    assert.equal(r.lineLog.length, 2, all);
    // Block 4 of the bootloader inflates to less than one 32 KiB piece: nothing to keep.
    assert.match(
      r.out + r.err,
      /segment "bootloader" compressed block \d+ \(data for 0x[0-9a-f]+–0x[0-9a-f]+\): FLASH_DEFL_DATA failed — ROM error 0x07: checksum error — restarting segment "bootloader" from its start \(attempt [23] of 3\)/,
      all,
    );
    assert.match(
      r.out + r.err,
      /No serial data received for the FLASH_DEFL_DATA reply .* resuming segment "app" at 0x[0-9a-f]+000 \(the 0x[0-9a-f]+ bytes before it are on flash, confirmed by MD5\)/,
      all,
    );
    assert.match(r.out, /storage: /);
    await boots('esp32c3', ws, 40);
  });

  it("ESP32-C3 device encryption through the ROM loader's encrypted flag, one app block corrupted on the line, boots", async () => {
    const ws = workspace(EFUSE.c3Enc);
    // The ROM encrypts uncompressed writes only: bootloader, partition table and app (not the
    // 960 KiB SPIFFS image) keep this case short.
    const files = [
      '0x0',
      path.join(C11, 'bootloader', 'bootloader.bin'),
      '0x8000',
      path.join(C11, 'partition_table', 'partition-table.bin'),
      '0x10000',
      path.join(C11, 'st7789.bin'),
    ];
    // One app block corrupted on the line: the flash holds ciphertext the host cannot check by MD5,
    // so the app is written again from its start, encrypted again by the ROM.
    const r = await flash('esp32c3', ws, ['--no-stub', '-b', '115200', '--encrypt', ...files], { lineFaults: [{ opcode: 0x03, nth: 40, kind: 'flip' }] });
    const all = `${show(r)}\n--- line\n${r.lineLog.join('\n')}`;
    assert.equal(r.code, 0, all);
    assert.match(r.out, /encrypted by the chip/);
    assert.equal(r.lineLog.length, 1, all);
    assert.match(
      r.out + r.err,
      /segment "st7789" block \d+ at 0x[0-9a-f]+: FLASH_DATA failed — ROM error 0x07: checksum error — restarting segment "st7789" from its start \(attempt [23] of 3\)/,
      all,
    );
    await boots('esp32c3', ws, 120);
  });
});
