/**
 * Host-key refusals on the device ring (real serialport, pty, virtual chip): a wrong key size,
 * a key for the other scheme, an unaligned encrypted segment and a device without flash
 * encryption each stop the job before anything is written, with a message that says why and
 * what to do — through flashSegments and through the command line. Plus the command line's
 * host-key options end to end: --encrypt-key-dir, --flash-crypt-conf, release mode and the
 * incremental second flash.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { cli } from './cli_run';
import type { ChipName } from '../../src/core/chips';
import { deviceKeyFileName } from '../../src/core/crypto/flash_crypto';
import type { WriteSegment } from '../../src/core/flash/api';
import { parseImage } from '../../src/core/formats/image_parse';
import { writeSampleIdfBuildDetailed, type SampleBuild } from '../fixtures/sample_build';
import { generatedImage, pseudoRandom } from './flash_helpers';
import { flashWithKey, hostKeyRig, type HostKeyRig } from './host_key_helpers';

interface RefusalCase {
  what: string;
  chip: ChipName;
  mode: 'off' | 'development' | 'release';
  /** Bytes in the virtual chip's eFuses (a valid key) and in the key file given to the host. */
  chipKeyLength: number;
  fileKeyLength: number;
  offset: number;
  message: RegExp;
}

const CASES: RefusalCase[] = [
  {
    what: 'wrong key size (20 bytes for ESP32-S3)',
    chip: 'esp32s3',
    mode: 'development',
    chipKeyLength: 32,
    fileKeyLength: 20,
    offset: 0x10000,
    message:
      /Key file \S+flash_key\.bin holds 20 bytes, which is not a flash-encryption key for ESP32-S3: ESP32-S3 uses XTS-AES with 32- or 64-byte keys\. Give that chip's key file/,
  },
  {
    what: 'a key size the chip cannot hold (64 bytes for ESP32-C3)',
    chip: 'esp32c3',
    mode: 'release',
    chipKeyLength: 32,
    fileKeyLength: 64,
    offset: 0x10000,
    message: /Key file \S+flash_key\.bin holds 64 bytes \(XTS-AES-256 key\), but ESP32-C3 takes 32-byte keys \(XTS-AES-128 key\)\. Use a key of that size/,
  },
  {
    what: 'a key for the other scheme (24-byte ESP32 3/4-coding key for XTS ESP32-C3)',
    chip: 'esp32c3',
    mode: 'development',
    chipKeyLength: 32,
    fileKeyLength: 24,
    offset: 0x10000,
    message: /holds 24 bytes, which is not a flash-encryption key for ESP32-C3 \(24 bytes is a key size of the ESP32 AES-256 scheme\): ESP32-C3 uses XTS-AES with 32-byte keys/,
  },
  {
    what: 'a key for the other scheme (64-byte XTS-AES-256 key for ESP32)',
    chip: 'esp32',
    mode: 'release',
    chipKeyLength: 32,
    fileKeyLength: 64,
    offset: 0x10000,
    message: /holds 64 bytes, which is not a flash-encryption key for ESP32 \(64 bytes is a key size of XTS-AES\): ESP32 uses the ESP32 AES-256 scheme with 24- or 32-byte keys/,
  },
  {
    what: 'an unaligned host-key segment (0x10008 on ESP32-C3)',
    chip: 'esp32c3',
    mode: 'development',
    chipKeyLength: 32,
    fileKeyLength: 32,
    offset: 0x10008,
    message: /Refusing segment "app" at 0x10008: an encrypted segment must start at a multiple of 16 bytes on ESP32-C3\. Move it to 0x10000 or 0x10010, or write it plain\./,
  },
  {
    what: 'an unaligned host-key segment (0x10010 on ESP32, which needs 32)',
    chip: 'esp32',
    mode: 'release',
    chipKeyLength: 32,
    fileKeyLength: 32,
    offset: 0x10010,
    message: /Refusing segment "app" at 0x10010: an encrypted segment must start at a multiple of 32 bytes on ESP32\. Move it to 0x10000 or 0x10020/,
  },
  {
    what: 'a device without flash encryption (the ciphertext would not boot)',
    chip: 'esp32c3',
    mode: 'off',
    chipKeyLength: 32,
    fileKeyLength: 32,
    offset: 0x10000,
    message:
      /segment "app" at 0x10000: Refusing to write host-encrypted data: flash encryption is not enabled on ESP32-C3 \(crypt counter 0b0, an even number of 1 bits\), so the chip would run the ciphertext as plaintext and fail to boot\. .*force the write if you mean to enable encryption later/,
  },
];

/**
 * An app image with one byte of its last segment's data changed and the checksum and SHA-256
 * brought up to date (a rebuild after a one-byte edit): all three changes in the last sector.
 */
function withOneDataByteChanged(image: Uint8Array): Uint8Array {
  const b = Uint8Array.from(image);
  const info = parseImage(b).info!;
  const last = info.segments[info.segments.length - 1];
  const at = last.dataOffset + last.length - 1;
  const digestAt = info.imageLength - 32;
  const checksumAt = digestAt - 1;
  assert.ok(info.hashAppended && Math.floor(at / 0x1000) === Math.floor((info.imageLength - 1) / 0x1000), 'the change must stay in one sector');
  b[at] ^= 0x01;
  b[checksumAt] ^= 0x01;
  b.set(createHash('sha256').update(b.subarray(0, digestAt)).digest(), digestAt);
  const check = parseImage(b).info!;
  assert.ok(check.checksum.ok && check.sha256?.ok, 'the changed image stays valid');
  return b;
}

/** A rig whose key file holds `fileKeyLength` bytes (the chip keeps its own valid key). */
async function refusalRig(c: RefusalCase): Promise<HostKeyRig> {
  const rig = await hostKeyRig(c.chip, c.mode, c.chipKeyLength);
  if (c.fileKeyLength !== c.chipKeyLength) await writeFile(rig.keyFile, pseudoRandom(c.fileKeyLength, 'wrong key'));
  return rig;
}

function assertNothingWritten(rig: HostKeyRig, offset: number, length: number): void {
  assert.ok(
    rig.pty.chip.readFlash(offset - (offset % 0x1000), length + 0x1000).every((b) => b === 0xff),
    'the flash must stay erased',
  );
}

describe('host-key refusals on the device (nothing is written)', function () {
  this.timeout(60_000);

  for (const c of CASES) {
    it(`flashSegments: ${c.what}`, async () => {
      const rig = await refusalRig(c);
      try {
        const seg: WriteSegment = { name: 'app', offset: c.offset, bytes: generatedImage(c.chip, 8000, 'refused'), encrypt: 'host' };
        const run = await flashWithKey(rig, [seg]);
        assert.equal(run.result.ok, false, 'the job must be refused');
        assert.match(run.result.error!, /^Nothing was written\. /);
        assert.match(run.result.error!, c.message);
        assert.match(run.result.error!, /Written: nothing\. Not written: app\.$/);
        assert.equal(
          run.events.some((e) => e.kind === 'segment-start'),
          false,
        );
        const failed = run.events.find((e) => e.kind === 'failed');
        assert.ok(failed && failed.kind === 'failed' && failed.segment === 'app' && failed.offset === c.offset);
        assertNothingWritten(rig, c.offset, seg.bytes.length);
      } finally {
        await rig.close();
      }
    });

    it(`cli flash: ${c.what}`, async () => {
      const rig = await refusalRig(c);
      try {
        const file = path.join(rig.dir, 'app.bin');
        const bytes = generatedImage(c.chip, 8000, 'refused-cli');
        await writeFile(file, bytes);
        const r = await cli('flash', '--port', rig.pty.path, '--encrypt-key', rig.keyFile, '--encrypt-files', `0x${c.offset.toString(16)}`, file);
        assert.equal(r.code, 1, r.out + r.err);
        assert.match(r.err, /^Error: Nothing was written\. /);
        assert.match(r.err, c.message);
        assertNothingWritten(rig, c.offset, bytes.length);
      } finally {
        await rig.close();
      }
    });
  }

  it('--force gets a host-key write onto a device without encryption (for enabling it later), with a warning', async () => {
    const c = CASES[CASES.length - 1];
    const rig = await refusalRig(c);
    try {
      const seg: WriteSegment = { name: 'app', offset: 0x10000, bytes: generatedImage('esp32c3', 8000, 'forced'), encrypt: 'host' };
      const run = await flashWithKey(rig, [seg], { force: true });
      assert.equal(run.result.ok, true, run.result.error);
      assert.ok(!Buffer.from(rig.pty.chip.readFlash(0x10000, 64)).equals(Buffer.from(seg.bytes.subarray(0, 64))), 'ciphertext in flash');
    } finally {
      await rig.close();
    }
  });
});

describe('cli host-key flashing (--encrypt-key-dir, --flash-crypt-conf, release mode, incremental reflash)', function () {
  this.timeout(90_000);

  async function sample(rig: HostKeyRig, chip: ChipName): Promise<SampleBuild> {
    return writeSampleIdfBuildDetailed(path.join(rig.dir, 'project'), { chip, flashEncryption: 'development', appSize: 0x40000 });
  }

  async function assertDecrypts(rig: HostKeyRig, build: SampleBuild): Promise<void> {
    for (const img of build.images) {
      const bytes = new Uint8Array(await readFile(path.join(build.buildDir, img.file)));
      const have = img.encrypted
        ? rig.pty.chip.decryptFlash(img.offset, Math.ceil(bytes.length / 32) * 32).subarray(0, bytes.length)
        : rig.pty.chip.readFlash(img.offset, bytes.length);
      assert.ok(Buffer.from(have).equals(Buffer.from(bytes)), `${img.name} in flash differs from the build`);
    }
  }

  it('release mode, key chosen by MAC from --encrypt-key-dir; the second flash after a one-byte change sends one sector', async () => {
    const rig = await hostKeyRig('esp32c3', 'release', 32);
    try {
      const build = await sample(rig, 'esp32c3');
      const keyDir = path.join(rig.dir, 'keys');
      await mkdir(keyDir);
      const mac = Array.from(rig.pty.chip.mac, (b) => b.toString(16).padStart(2, '0')).join(':');
      await writeFile(path.join(keyDir, deviceKeyFileName(mac)), rig.key);
      const args = ['--port', rig.pty.path, '--encrypt', '--encrypt-key-dir', keyDir, '--flash-size', 'keep', build.buildDir];
      const first = await cli('flash', ...args);
      assert.equal(first.code, 0, first.err);
      assert.match(first.out, /^ +app +0x00010000 +\d+ bytes +encrypted on the host$/m);
      assert.match(first.out, /flash encryption release/);
      // The chip's key cannot be read: the check is of the ciphertext only, and the output says so.
      assert.match(first.out, /^Hash of ciphertext verified \(only the ciphertext could be checked: the chip's key cannot be read/m);
      await assertDecrypts(rig, build);

      const app = build.images.find((i) => i.name === 'app')!;
      const appFile = path.join(build.buildDir, app.file);
      const bytes = withOneDataByteChanged(new Uint8Array(await readFile(appFile)));
      await writeFile(appFile, bytes);
      const second = await cli('flash', ...args);
      assert.equal(second.code, 0, second.err);
      // The change (data byte, checksum, digest) lies in the image's last, partial sector.
      const sectors = Math.ceil(bytes.length / 0x1000);
      const last = app.offset + (sectors - 1) * 0x1000;
      const tail = bytes.length - (sectors - 1) * 0x1000;
      const at = `0x${last.toString(16).padStart(8, '0')}`;
      const range = `0x${last.toString(16)}–0x${(app.offset + bytes.length).toString(16)}`;
      assert.match(
        second.out,
        new RegExp(
          `^app: ${tail} bytes at ${at} \\(host-encrypted ciphertext, plain write \\(unrecognised stub\\); only the changed sectors: 1 of ${sectors} sectors changed, in ${range} \\(device cache confirmed by one MD5 of the flash\\)\\)$`,
          'm',
        ),
      );
      assert.match(second.out, new RegExp(`^Wrote ${tail} bytes at ${at} in \\d+\\.\\d seconds \\(\\d+ kbit/s\\); 1 of ${sectors} sectors changed$`, 'm'));
      assert.match(second.out, /^Skipped bootloader at 0x00000000 \(already on flash, MD5 [0-9a-f]{32}; device cache confirmed by one MD5 of the flash\)$/m);
      await assertDecrypts(rig, build);

      const v = await cli('verify', ...args);
      assert.equal(v.code, 0, v.err + v.out);
      assert.match(v.out, /All \d+ segment\(s\) match\./);
    } finally {
      await rig.close();
    }
  });

  it('ESP32 with FLASH_CRYPT_CONFIG 0x3: refused for the default 0xF, written and verified with --flash-crypt-conf 0x3', async () => {
    const rig = await hostKeyRig('esp32', 'development', 32, { flashCryptConfig: 0x3 });
    try {
      const build = await sample(rig, 'esp32');
      const base = ['--port', rig.pty.path, '--encrypt', '--encrypt-key', rig.keyFile, '--flash-size', 'keep', build.buildDir];
      const refused = await cli('flash', ...base);
      assert.equal(refused.code, 1);
      assert.match(
        refused.err,
        /ESP32 has FLASH_CRYPT_CONFIG 0x3 but the ciphertext would be computed for 0xF; the chip would decrypt it to garbage\. Set the host key's flash crypt config to 0x3, or force the write\. \(--force overrides this check\.\)/,
      );
      assert.ok(rig.pty.chip.readFlash(0x1000, 64).every((b) => b === 0xff));

      const ok = await cli('flash', '--flash-crypt-conf', '0x3', ...base);
      assert.equal(ok.code, 0, ok.err);
      await assertDecrypts(rig, build);
      const v = await cli('verify', '--flash-crypt-conf', '3', ...base);
      assert.equal(v.code, 0, v.err + v.out);
      assert.match(v.out, /All \d+ segment\(s\) match\./);
    } finally {
      await rig.close();
    }
  });

  it('--flash-crypt-conf without a key, or beyond 4 bits, is a usage error', async () => {
    const noKey = await cli('flash', '--port', 'virtual:esp32', '--flash-crypt-conf', '0xF', '0x10000', 'app.bin');
    assert.equal(noKey.code, 2);
    assert.match(noKey.err, /--flash-crypt-conf sets how the host key encrypts \(ESP32\): give it together with --encrypt-key FILE or --encrypt-key-dir DIR/);
    const big = await cli('verify', '--port', 'virtual:esp32', '--encrypt-key', 'k.bin', '--flash-crypt-conf', '0x10', '--encrypt-files', '0x10000', 'app.bin');
    assert.equal(big.code, 2);
    assert.match(big.err, /--flash-crypt-conf: "0x10" is not a FLASH_CRYPT_CONFIG value; it is 4 bits, 0x0…0xF/);
  });
});
