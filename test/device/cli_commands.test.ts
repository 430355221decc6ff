/**
 * The command line end to end: main's entry (in-process) → the core → the real serialport
 * binding → a pseudo-terminal → the virtual chip. One virtual chip per block keeps its flash
 * across commands, as a board on a USB port would.
 */
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { cli } from './cli_run';
import { writeSampleIdfBuildDetailed, type SampleBuild } from '../fixtures/sample_build';
import { startPtyChip, type PtyChip } from '../../src/sim/pty_chip';
import { ptyChipsPerTest } from './flash_helpers';

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

async function imageBytes(build: SampleBuild, name: string): Promise<{ offset: number; bytes: Uint8Array }> {
  const img = build.images.find((i) => i.name === name);
  assert.ok(img, `sample build has no ${name} image`);
  return { offset: img.offset, bytes: new Uint8Array(await readFile(path.join(build.buildDir, img.file))) };
}

describe('cli on a virtual chip (plain flash)', function () {
  this.timeout(60_000);
  let tmp: string;
  let build: SampleBuild;
  let pty: PtyChip;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'esp-flasher-cli-'));
    build = await writeSampleIdfBuildDetailed(path.join(tmp, 'project'), { chip: 'esp32c3' });
    pty = await startPtyChip({ chip: 'esp32c3' });
  });

  after(async () => {
    await pty?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('info prints the chip, its flash size and encryption state', async () => {
    const r = await cli('info', '--port', pty.path);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Chip: +ESP32-C3 \(chip id 5\)/m);
    assert.match(r.out, /^Flash size: +4 MB \(flash ID 0x[0-9a-f]{6}\)$/m);
    assert.match(r.out, /^Flash encryption: off \(crypt counter 0\)$/m);
    const j = await cli('info', '--port', pty.path, '--json');
    assert.equal(JSON.parse(j.out).chip, 'esp32c3');
  });

  it('flash writes every segment of a build, with progress and verification, then verify agrees', async () => {
    const r = await cli('flash', '--port', pty.path, '--baud', '921600', build.buildDir);
    assert.equal(r.code, 0, r.err);
    assert.equal((r.out.match(/^Hash of data verified\.$/gm) ?? []).length, build.images.length);
    assert.match(r.out, /^Wrote \d+ bytes \(\d+ compressed\) at 0x00010000 in \d+\.\d seconds \(\d+ kbit\/s\)$/m);
    assert.match(r.out, /^Writing at 0x000[0-9a-f]{5} \[=+ *\] +\d+\.\d% +\d+ kbit\/s$/m);
    const app = await imageBytes(build, 'app');
    assert.equal(md5(pty.chip.readFlash(app.offset, app.bytes.length)), md5(app.bytes));

    const v = await cli('verify', '--port', pty.path, build.buildDir);
    assert.equal(v.code, 0, v.err);
    assert.match(v.out, new RegExp(`All ${build.images.length} segment\\(s\\) match\\.`));
  });

  it('flash again skips what the flash already holds', async () => {
    const r = await cli('flash', '--port', pty.path, build.buildDir);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Skipped app at 0x00010000 \(already on flash, MD5 [0-9a-f]{32}(; device cache confirmed by one MD5 of the flash)?\)$/m);
    assert.doesNotMatch(r.out, /^Wrote /m);
  });

  it('read copies raw flash into a file byte for byte', async () => {
    const app = await imageBytes(build, 'app');
    const file = path.join(tmp, 'read.bin');
    const r = await cli('read', '--port', pty.path, `0x${app.offset.toString(16)}`, String(app.bytes.length), file);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`^Read ${app.bytes.length} bytes at 0x00010000 in \\d+\\.\\d seconds into ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    assert.deepEqual(new Uint8Array(await readFile(file)), app.bytes);
  });

  it('erase --region erases one sector, and verify then names the changed segment', async () => {
    const r = await cli('erase', '--port', pty.path, '--region', '0x10000', '0x1000');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Erased 4096 bytes at 0x00010000/m);
    assert.ok(pty.chip.readFlash(0x10000, 0x1000).every((b) => b === 0xff));
    assert.ok(
      pty.chip.readFlash(0x11000, 16).some((b) => b !== 0xff),
      'the next sector is untouched',
    );
    const v = await cli('verify', '--port', pty.path, build.buildDir);
    assert.equal(v.code, 1);
    assert.match(v.out, /^ +app +0x00010000 +DIFFERENT: flash MD5 [0-9a-f]{32}, expected [0-9a-f]{32}$/m);
    assert.match(v.err, /1 of \d+ segment\(s\) could not be confirmed/);
  });

  it('erase without --region erases the whole flash', async () => {
    const r = await cli('erase', '--port', pty.path);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Erased the whole flash/m);
    for (const img of build.images)
      assert.ok(
        pty.chip.readFlash(img.offset, 256).every((b) => b === 0xff),
        img.name,
      );
  });

  it('offset/file pairs flash like a build does', async () => {
    const app = await imageBytes(build, 'app');
    const file = path.join(build.buildDir, build.images.find((i) => i.name === 'app')!.file);
    const r = await cli('flash', '--port', pty.path, '--no-compress', '0x10000', file);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Wrote \d+ bytes at 0x00010000 in/m, 'uncompressed: no "compressed" count');
    assert.equal(md5(pty.chip.readFlash(0x10000, app.bytes.length)), md5(app.bytes));
  });

  it('a misaligned erase region fails with the reason and exit code 1', async () => {
    const r = await cli('erase', '--port', pty.path, '--region', '0x10800', '0x1000');
    assert.equal(r.code, 1);
    assert.match(r.err, /^Error: Erase offset 0x10800 is not a multiple of 4 KiB \(0x1000\); use 0x10000\./);
    assert.doesNotMatch(r.err, /\n    at /, 'no stack trace without --debug');
  });
});

describe('cli on a virtual chip with flash encryption', function () {
  this.timeout(60_000);
  const chips = ptyChipsPerTest();
  let tmp: string;
  let build: SampleBuild;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'esp-flasher-cli-enc-'));
    build = await writeSampleIdfBuildDetailed(path.join(tmp, 'project'), { chip: 'esp32c3', flashEncryption: 'development' });
  });

  after(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('refuses a plaintext write onto an encrypted device, names the segment and writes nothing', async () => {
    const pty = await chips.start({ chip: 'esp32c3', encryption: 'development' });
    const r = await cli('flash', '--port', pty.path, build.buildDir);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /^Error: Nothing was written\. Refused:\n  \[plaintext-in-encrypted-region\] Refusing to write segment "bootloader" at 0x0 as plaintext: flash encryption is on .*\(--force overrides this check\.\)/,
    );
    assert.match(r.err, /Written: nothing\./);
    const app = await imageBytes(build, 'app');
    assert.ok(pty.chip.readFlash(app.offset, 256).every((b) => b === 0xff));
  });

  it('--encrypt writes the marked segments encrypted by the chip; the chip decrypts them to the build', async () => {
    const pty = await chips.start({ chip: 'esp32c3', encryption: 'development' });
    const r = await cli('flash', '--port', pty.path, '--encrypt', build.buildDir);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^ +app +0x00010000 +\d+ bytes +encrypted by the chip$/m);
    for (const img of build.images) {
      const { offset, bytes } = await imageBytes(build, img.name);
      const raw = pty.chip.readFlash(offset, bytes.length);
      if (img.encrypted) {
        assert.notDeepEqual(raw, bytes, `${img.name} is ciphertext`);
        assert.deepEqual(pty.chip.decryptFlash(offset, Math.ceil(bytes.length / 16) * 16).subarray(0, bytes.length), bytes, `${img.name} decrypts to the file`);
      } else {
        assert.deepEqual(raw, bytes, `${img.name} is plain`);
      }
    }
  });

  it('--encrypt-key encrypts on the host; verify with the key confirms the ciphertext', async () => {
    const key = randomBytes(32);
    const keyFile = path.join(tmp, 'key.bin');
    await writeFile(keyFile, key);
    const pty = await chips.start({ chip: 'esp32c3', encryption: 'development', key: new Uint8Array(key) });
    const r = await cli('flash', '--port', pty.path, '--encrypt', '--encrypt-key', keyFile, build.buildDir);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^ +app +0x00010000 +\d+ bytes +encrypted on the host$/m);
    const app = await imageBytes(build, 'app');
    assert.deepEqual(pty.chip.decryptFlash(app.offset, Math.ceil(app.bytes.length / 16) * 16).subarray(0, app.bytes.length), app.bytes);
    const v = await cli('verify', '--port', pty.path, '--encrypt', '--encrypt-key', keyFile, build.buildDir);
    assert.equal(v.code, 0, v.err + v.out);
    assert.match(v.out, /All \d+ segment\(s\) match\./);
  });
});

describe('cli exit codes and ports', function () {
  this.timeout(60_000);

  it('starts a virtual chip for --port virtual:<chip>', async () => {
    const r = await cli('info', '--port', 'virtual:esp32s3:encryption=development');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Flash encryption: development \(crypt counter \d+, key present\)$/m);
  });

  it('usage mistakes exit with 2 and say what to do', async () => {
    const none = await cli('flash', '--port', 'virtual:esp32c3');
    assert.equal(none.code, 2);
    assert.match(none.err, /"flash" needs a build folder or <offset> <file> pairs/);
    const bad = await cli('read', '--port', 'virtual:esp32c3', 'zero', '16', 'x.bin');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /offset: "zero" is not a number/);
    const saved = process.env.ESPPORT;
    delete process.env.ESPPORT;
    try {
      const noPort = await cli('info');
      assert.equal(noPort.code, 2);
      assert.match(noPort.err, /No serial port given: add --port \/dev\/ttyUSB0/);
    } finally {
      if (saved !== undefined) process.env.ESPPORT = saved;
    }
  });

  it('a port that does not exist fails with one paragraph naming it', async () => {
    const r = await cli('info', '--port', '/dev/esp-flasher-no-such-port');
    assert.equal(r.code, 1);
    assert.match(r.err, /\/dev\/esp-flasher-no-such-port/);
    assert.equal(r.err.split('\n').length, 1, r.err);
  });
});
