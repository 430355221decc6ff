/**
 * `esp-flasher merge`: plain images against a hand-assembled image of the corpus files and
 * against esptool 4.12 merge_bin (raw, Intel HEX, UF2); encrypted images decrypted back with
 * the same key, and against espsecure's per-segment ciphertext placed at the same offsets;
 * bad input refused with no file left behind.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CHIP_NAMES, chipFacts } from '../../../src/core/chips';
import { decryptFlashData, keyForChip } from '../../../src/core/crypto/flash_crypto';
import { writeFileAtomic } from '../../../src/core/image_out/atomic_write';
import { ImageOutError } from '../../../src/core/image_out/image_out_error';
import { toIntelHex } from '../../../src/core/image_out/intel_hex';
import { mergeSegments } from '../../../src/core/image_out/merge_image';
import { toUf2 } from '../../../src/core/image_out/uf2';
import { CORPUS, describeShared } from '../formats/shared_corpus';
import { tempDirs } from '../project/tmp_dirs';
import { cli, readIntelHex, readUf2, sha256 } from './merge_cli_helpers';
import { SHARED, itWithPeer, runPeer } from './peer_esptool';

const C01 = path.join(CORPUS, '01-esp32-idf4.4-flashenc');
const C02 = path.join(CORPUS, '02-esp32s3-idf5.0-flashenc-storage');
const C11 = path.join(CORPUS, '11-esp32c3-storage');
const C01_FILES = [
  { offset: 0x1000, file: 'bootloader/bootloader.bin' },
  { offset: 0x10000, file: 'partition_table/partition-table.bin' },
  { offset: 0x20000, file: 'rsa_encrypt_decrypt.bin' },
];
const C02_FILES = [
  { offset: 0x0, file: 'bootloader/bootloader.bin', encrypted: true },
  { offset: 0x8000, file: 'partition_table/partition-table.bin', encrypted: true },
  { offset: 0x20000, file: 'wifi_softAP.bin', encrypted: true },
  { offset: 0x120000, file: 'storage.bin', encrypted: false },
];
const QEMU_KEY = path.join(SHARED, 'qemu', 'efuse', 'key00-1f.bin');
const tmp = tempDirs();
const read = (f: string) => new Uint8Array(readFileSync(f));
const padTo = (b: Uint8Array, n: number) => {
  const out = new Uint8Array(Math.ceil(b.length / n) * n).fill(0xff);
  out.set(b);
  return out;
};

/** Corpus 01 by hand: files at their offsets, 0xFF between, bootloader header set to QIO with its SHA-256 redone. */
function handAssembled01(): Uint8Array {
  const files = C01_FILES.map((f) => ({ ...f, bytes: read(path.join(C01, f.file)) }));
  const end = Math.max(...files.map((f) => f.offset + f.bytes.length));
  const img = new Uint8Array(end).fill(0xff);
  for (const f of files) img.set(f.bytes, f.offset);
  const boot = files[0].bytes;
  assert.ok(sha256(boot.subarray(0, boot.length - 32)).equals(Buffer.from(boot.subarray(boot.length - 32))), 'the bootloader ends in its own SHA-256');
  img[0x1000 + 2] = 0x00; // QIO
  img.set(sha256(img.subarray(0x1000, 0x1000 + boot.length - 32)), 0x1000 + boot.length - 32);
  return img;
}

describeShared('merge: plain images of a real build', () => {
  it('raw equals the files placed by hand, gaps 0xFF, bootloader header patched with its SHA-256 recomputed', async () => {
    const out = path.join(tmp.make(), 'm.bin');
    const r = await cli('merge', C01, '-o', out, '--flash-mode', 'qio');
    assert.equal(r.code, 0, r.err);
    const img = read(out);
    const hand = handAssembled01();
    assert.equal(img.length, hand.length);
    assert.ok(Buffer.from(img).equals(Buffer.from(hand)), 'merged image differs from the hand-assembled one');
    assert.notEqual(img[0x1002], read(path.join(C01, C01_FILES[0].file))[2], 'the header really was patched');
    assert.match(r.out, /bootloader +0x00001000 +\d+ bytes +plain; header bytes 2–3 02 \w\w → 00 \w\w, appended SHA-256 recomputed/);
  });

  it('--fill-flash-size pads with 0xFF to the flash size; --target-offset starts the file there', async () => {
    const dir = tmp.make();
    assert.equal((await cli('merge', C01, '-o', path.join(dir, 'f.bin'), '--flash-mode', 'qio', '--fill-flash-size', '4MB')).code, 0);
    const filled = read(path.join(dir, 'f.bin'));
    const hand = handAssembled01();
    assert.equal(filled.length, 4 * 1024 * 1024);
    assert.ok(Buffer.from(filled.subarray(0, hand.length)).equals(Buffer.from(hand)));
    assert.ok(filled.subarray(hand.length).every((b) => b === 0xff));
    const r = await cli('merge', C01, '-o', path.join(dir, 't.bin'), '--flash-mode', 'qio', '--target-offset', '0x1000');
    assert.equal(r.code, 0, r.err);
    assert.ok(Buffer.from(read(path.join(dir, 't.bin'))).equals(Buffer.from(hand.subarray(0x1000))));
    assert.match(r.out, /write it raw at 0x1000 \(esp-flasher flash --offset 0x1000 t\.bin\)/);
  });

  it("Intel HEX and UF2 hold exactly the segments at their flash addresses (read back by the test's own decoders)", async () => {
    const dir = tmp.make();
    assert.equal((await cli('merge', C01, '-o', path.join(dir, 'm.hex'), '--format', 'hex', '--flash-mode', 'qio')).code, 0);
    assert.equal((await cli('merge', C01, '-o', path.join(dir, 'm.uf2'), '--format', 'uf2', '--flash-mode', 'qio')).code, 0);
    const hand = handAssembled01();
    const expected = new Map<number, number>();
    for (const f of C01_FILES) {
      const n = read(path.join(C01, f.file)).length;
      for (let a = f.offset; a < f.offset + n; a++) expected.set(a, hand[a]);
    }
    const hex = readIntelHex(readFileSync(path.join(dir, 'm.hex'), 'utf8'));
    assert.equal(hex.size, expected.size, 'the hex file holds the segments only, not the gaps');
    for (const [a, v] of expected) if (hex.get(a) !== v) assert.fail(`hex byte at 0x${a.toString(16)}: ${hex.get(a)} != ${v}`);
    const blocks = readUf2(read(path.join(dir, 'm.uf2')));
    assert.ok(
      blocks.every((b) => b.family === 0x1c5f21b0 && b.flags === 0x6000 && b.md5ok && b.size <= 452),
      'ESP32 family id, MD5 part, ≤ 452 bytes each',
    );
    let bytes = 0;
    for (const b of blocks) {
      assert.ok(Buffer.from(hand.subarray(b.addr, b.addr + b.size)).equals(b.data), `UF2 block at 0x${b.addr.toString(16)}`);
      bytes += b.size;
    }
    assert.equal(bytes, expected.size);
  });

  itWithPeer('raw, Intel HEX and UF2 are byte-identical to esptool 4.12 merge_bin (run from ../shared/peers)', async () => {
    const dir = tmp.make();
    const pairs = C01_FILES.flatMap((f) => [`0x${f.offset.toString(16)}`, f.file]);
    for (const format of ['raw', 'hex', 'uf2']) {
      const ours = path.join(dir, `ours.${format}`);
      const theirs = path.join(dir, `esptool.${format}`);
      assert.equal((await cli('merge', C01, '-o', ours, '--format', format, '--flash-mode', 'qio', '--flash-freq', '40m')).code, 0);
      runPeer('esptool.py', ['--chip', 'esp32', 'merge_bin', '-o', theirs, '--format', format, '--flash_mode', 'qio', '--flash_freq', '40m', ...pairs], C01);
      assert.ok(readFileSync(ours).equals(readFileSync(theirs)), `${format}: differs from esptool merge_bin`);
    }
    console.log('      compared with esptool 4.12 merge_bin from ../shared/peers: raw, hex, uf2 identical');
  });
});

describe('merge: formats (no corpus)', () => {
  it('Intel HEX records never cross 64 KiB and restart the extended address; adjacent runs join', () => {
    const a = Uint8Array.from({ length: 40 }, (_, i) => i);
    const text = toIntelHex([
      { offset: 0xfff8, bytes: a },
      { offset: 0x10020, bytes: Uint8Array.of(0xaa) },
    ]);
    const lines = text.trim().split('\n');
    assert.equal(lines[0], ':020000040000FA');
    assert.equal(lines[1].slice(0, 9), ':08FFF800');
    assert.equal(lines[2], ':020000040001F9');
    assert.equal(lines[3].slice(0, 9), ':10000000');
    assert.equal(lines[lines.length - 1], ':00000001FF');
    const mem = readIntelHex(text);
    assert.equal(mem.size, 41);
    assert.equal(mem.get(0x10020), 0xaa);
    assert.equal(mem.get(0x10000 + 7), 15);
    // Below 64 KiB no extended-address record at all.
    assert.equal(toIntelHex([{ offset: 0x10, bytes: Uint8Array.of(1, 2) }]), ':020010000102EB\n:00000001FF\n');
  });

  it('every chip with images has its own UF2 family id in the chip table (esptool 4.12 values)', () => {
    const ids = CHIP_NAMES.map((c) => chipFacts(c).uf2FamilyId);
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(chipFacts('esp32').uf2FamilyId, 0x1c5f21b0);
    assert.equal(chipFacts('esp32s3').uf2FamilyId, 0xc47e5767);
    assert.equal(chipFacts('esp32c6').uf2FamilyId, 0x540ddf62);
  });

  it("UF2 numbers blocks per segment and carries the chip's family id", () => {
    const blocks = readUf2(
      toUf2(
        [
          { offset: 0x10000, bytes: new Uint8Array(1000).fill(7) },
          { offset: 0, bytes: new Uint8Array(10) },
        ],
        0xd42ba06c,
      ),
    );
    assert.deepEqual(
      blocks.map((b) => [b.addr, b.size, b.blockNo, b.blocks]),
      [
        [0, 10, 0, 1],
        [0x10000, 452, 0, 3],
        [0x10000 + 452, 452, 1, 3],
        [0x10000 + 904, 96, 2, 3],
      ],
    );
    assert.ok(blocks.every((b) => b.family === 0xd42ba06c && b.md5ok));
  });
});

describeShared('merge: encrypted images', () => {
  it('ESP32 (corpus 01, the QEMU key): decrypting every region with the same key gives the plain merged image', async () => {
    const dir = tmp.make();
    assert.equal((await cli('merge', C01, '-o', path.join(dir, 'plain.bin'), '--flash-mode', 'qio')).code, 0);
    const r = await cli('merge', C01, '-o', path.join(dir, 'enc.bin'), '--flash-mode', 'qio', '--encrypt-key', QEMU_KEY);
    assert.equal(r.code, 0, r.err);
    const plain = read(path.join(dir, 'plain.bin'));
    const enc = read(path.join(dir, 'enc.bin'));
    assert.equal(enc.length, plain.length);
    const key = keyForChip(read(QEMU_KEY), 'esp32');
    const back = Uint8Array.from(enc);
    for (const f of C01_FILES) {
      const n = Math.ceil(read(path.join(C01, f.file)).length / 32) * 32;
      assert.ok(!Buffer.from(enc.subarray(f.offset, f.offset + 16)).equals(Buffer.from(plain.subarray(f.offset, f.offset + 16))), `${f.file} is ciphertext`);
      back.set(decryptFlashData(key, f.offset, enc.subarray(f.offset, f.offset + n)), f.offset);
    }
    assert.ok(Buffer.from(back).equals(Buffer.from(plain)), 'decrypted image differs from the plain merge');
    assert.match(r.out, /with ESP32 AES-256 \(32-byte key\)/);
  });

  itWithPeer('ESP32 with FLASH_CRYPT_CONFIG 0xF and 0x9: equals espsecure encrypt_flash_data per segment, placed at the same offsets', async () => {
    const dir = tmp.make();
    for (const conf of ['0xf', '0x9']) {
      const ours = path.join(dir, `ours-${conf}.bin`);
      const r = await cli('merge', C01, '-o', ours, '--encrypt-key', QEMU_KEY, '--flash-crypt-conf', conf);
      assert.equal(r.code, 0, r.err);
      const expected = new Uint8Array(read(ours).length).fill(0xff);
      for (const f of C01_FILES) {
        const padded = path.join(dir, `in-${f.offset}.bin`);
        writeFileSync(padded, padTo(read(path.join(C01, f.file)), 32));
        const o = path.join(dir, `espsecure-${f.offset}-${conf}.bin`);
        runPeer('espsecure.py', ['encrypt_flash_data', '--keyfile', QEMU_KEY, '--address', `0x${f.offset.toString(16)}`, '--flash_crypt_conf', conf, '-o', o, padded]);
        expected.set(read(o), f.offset);
      }
      assert.ok(Buffer.from(read(ours)).equals(Buffer.from(expected)), `FLASH_CRYPT_CONFIG ${conf}: differs from espsecure's segments`);
    }
    console.log('      compared with espsecure 4.12 (../shared/peers) per segment: identical');
  });

  for (const keyLength of [32, 64]) {
    itWithPeer(`ESP32-S3 XTS-AES-${keyLength * 4} (corpus 02): encrypted segments equal espsecure --aes_xts, the plain storage image stays plain`, async () => {
      const dir = tmp.make();
      const keyFile = path.join(dir, 'key.bin');
      writeFileSync(
        keyFile,
        Uint8Array.from({ length: keyLength }, (_, i) => (i * 37 + 11) & 0xff),
      );
      const ours = path.join(dir, 'ours.bin');
      const r = await cli('merge', C02, '-o', ours, '--encrypt-key', keyFile);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /storage +0x00120000 +2097152 bytes +plain/);
      const img = read(ours);
      const expected = new Uint8Array(img.length).fill(0xff);
      const key = keyForChip(read(keyFile), 'esp32s3');
      for (const f of C02_FILES) {
        const bytes = read(path.join(C02, f.file));
        if (!f.encrypted) {
          expected.set(bytes, f.offset);
          continue;
        }
        const padded = path.join(dir, `in-${f.offset}.bin`);
        writeFileSync(padded, padTo(bytes, 16));
        const o = path.join(dir, `espsecure-${f.offset}.bin`);
        runPeer('espsecure.py', ['encrypt_flash_data', '--aes_xts', '--keyfile', keyFile, '--address', `0x${f.offset.toString(16)}`, '-o', o, padded]);
        expected.set(read(o), f.offset);
        const n = padTo(bytes, 16).length;
        assert.ok(Buffer.from(decryptFlashData(key, f.offset, img.subarray(f.offset, f.offset + n))).equals(Buffer.from(padTo(bytes, 16))), `${f.file} decrypts back`);
      }
      assert.ok(Buffer.from(img).equals(Buffer.from(expected)), "differs from espsecure's segments placed at their offsets");
    });
  }

  it('--encrypt-key-dir DIR --mac MAC uses DIR/<mac>.bin: the same image as --encrypt-key with that file', async () => {
    const dir = tmp.make();
    const keys = path.join(dir, 'keys');
    mkdirSync(keys);
    writeFileSync(path.join(keys, '240ac4000a1b.bin'), read(QEMU_KEY));
    assert.equal((await cli('merge', C01, '-o', path.join(dir, 'a.bin'), '--encrypt-key', QEMU_KEY)).code, 0);
    const r = await cli('merge', C01, '-o', path.join(dir, 'b.bin'), '--encrypt-key-dir', keys, '--mac', '24:0A:C4:00:0A:1B');
    assert.equal(r.code, 0, r.err);
    assert.ok(readFileSync(path.join(dir, 'a.bin')).equals(readFileSync(path.join(dir, 'b.bin'))));
    const missing = await cli('merge', C01, '-o', path.join(dir, 'c.bin'), '--encrypt-key-dir', keys, '--mac', '24:0a:c4:00:0a:1c');
    assert.equal(missing.code, 1);
    assert.match(missing.err, /No key for device 24:0a:c4:00:0a:1c in .*keys: expected .*240ac4000a1c\.bin/);
    assert.equal(existsSync(path.join(dir, 'c.bin')), false);
  });
});

describeShared('merge: bad input is refused and leaves no file behind', () => {
  async function refused(args: string[], pattern: RegExp, code = 1): Promise<void> {
    const dir = tmp.make();
    const out = path.join(dir, 'image.bin');
    const before = path.join(dir, 'kept.bin');
    writeFileSync(before, 'old contents');
    const r = await cli('merge', ...args, '-o', out);
    assert.equal(r.code, code, `${r.out}\n${r.err}`);
    assert.match(r.err, pattern);
    assert.equal(existsSync(out), false, 'no output file');
    const r2 = await cli('merge', ...args, '-o', before);
    assert.equal(r2.code, code);
    assert.equal(readFileSync(before, 'utf8'), 'old contents', 'an existing output file is left as it was');
    assert.deepEqual(readdirSync(dir).sort(), ['kept.bin'], 'no temporary file left');
  }

  it('a key of the wrong size for the chip names the key file and the sizes the chip takes', async () => {
    const dir = tmp.make();
    const k16 = path.join(dir, 'k16.bin');
    writeFileSync(k16, new Uint8Array(16).fill(3));
    await refused([C01, '--encrypt-key', k16], new RegExp(`Key file ${k16} holds 16 bytes.*ESP32 uses the ESP32 AES-256 scheme with 24- or 32-byte keys`));
    const k64 = path.join(dir, 'k64.bin');
    writeFileSync(
      k64,
      Uint8Array.from({ length: 64 }, (_, i) => i),
    );
    await refused(
      [C11, '--encrypt-key', k64],
      new RegExp(`Key file ${k64} holds 64 bytes \\(XTS-AES-256 key\\), but ESP32-C3 takes 32-byte keys.*generate-key command makes one for esp32c3`),
    );
  });

  it('a fill size smaller than the image names the option, the last segment and a size that fits', async () => {
    await refused(
      [C01, '--fill-flash-size', '256KB'],
      /--fill-flash-size 256 KiB is smaller than the image: segment app at 0x20000 \(.*rsa_encrypt_decrypt\.bin\) ends at 0x65060\. Give a flash size of at least 0x65060 bytes \(e\.g\. 1MB\)/,
    );
  });

  // Two segments this close share a 4 KiB sector and the later one is unaligned: the rulebook
  // (src/core/rules) refuses them before any padding is computed, naming the bytes that would be lost.
  it('segments that would overlap once padded for encryption are refused, naming the segment and the bytes lost', async () => {
    const dir = tmp.make();
    writeFileSync(path.join(dir, 'a.bin'), new Uint8Array(16).fill(1));
    writeFileSync(path.join(dir, 'b.bin'), new Uint8Array(64).fill(2));
    await refused(
      ['0x20010', path.join(dir, 'b.bin'), '--encrypt-files', '0x20000', path.join(dir, 'a.bin'), '--chip', 'esp32', '--encrypt-key', QEMU_KEY],
      /segment "b" at 0x20010 is not on a 4 KiB sector boundary: .*the 16 bytes before it \(0x20000–0x20010\) would be lost/,
    );
  });

  it("the flash job's write-list rules apply too: two files in one 4 KiB sector", async () => {
    const dir = tmp.make();
    writeFileSync(path.join(dir, 'a.bin'), new Uint8Array(16).fill(1));
    writeFileSync(path.join(dir, 'b.bin'), new Uint8Array(16).fill(2));
    await refused(
      ['0x20000', path.join(dir, 'a.bin'), '0x20800', path.join(dir, 'b.bin'), '--chip', 'esp32c3'],
      /Segments "a" \(ends 0x20010\) and "b" \(starts 0x20800\) share the 4 KiB flash sector at 0x20000/,
    );
  });

  it("a segment below --target-offset, and the plan's own errors, refuse the merge", async () => {
    await refused([C01, '--target-offset', '0x10000'], /segment bootloader at 0x1000 .* lies before the image start --target-offset 0x10000/);
    await refused([C01, '--chip', 'esp32c3'], /the image is built for ESP32 \(header chip id 0\) but the plan is for ESP32-C3/);
  });

  it('usage errors: no -o, --fill-flash-size with hex, --mac without a key folder', async () => {
    assert.match((await cli('merge', C01)).err, /merge needs the file to write: -o image\.bin/);
    assert.match(
      (await cli('merge', C01, '-o', '/tmp/x.hex', '--format', 'hex', '--fill-flash-size', '4MB')).err,
      /--fill-flash-size pads a raw image; hex files hold only the data/,
    );
    assert.match(
      (await cli('merge', C01, '-o', '/tmp/x.bin', '--encrypt-key', QEMU_KEY, '--mac', '24:0a:c4:00:0a:1b')).err,
      /--mac picks the device's key from --encrypt-key-dir DIR/,
    );
    assert.match((await cli('merge', C01, '-o', '/tmp/x.bin', '--encrypt-key-dir', '/tmp')).err, /--encrypt-key-dir DIR needs the device's MAC/);
  });
});

describe('merge: core checks and the atomic write', () => {
  it('mergeSegments refuses an encrypted segment without a key, and a misaligned one, as Problems', () => {
    const seg = { name: 'app', offset: 0x10008, bytes: new Uint8Array(64), encrypt: true, file: 'app.bin' };
    const settings = { mode: 'keep', size: 'keep', freq: 'keep' } as const;
    assert.throws(
      () => mergeSegments([seg], { chip: 'esp32c3', settings }),
      (e: unknown) => e instanceof ImageOutError && /segment app at 0x10008 \(app\.bin\) is to be encrypted, but no key was given/.test(e.problems[0].message),
    );
    const key = keyForChip(
      Uint8Array.from({ length: 32 }, (_, i) => i),
      'esp32c3',
    );
    assert.throws(
      () => mergeSegments([seg], { chip: 'esp32c3', settings, key }),
      (e: unknown) => e instanceof ImageOutError && e.problems[0].field === 'segment app' && /not a multiple of 16 bytes/.test(e.problems[0].message),
    );
  });

  it('writeFileAtomic leaves nothing behind when the rename fails', async () => {
    const dir = tmp.make();
    mkdirSync(path.join(dir, 'target'));
    await assert.rejects(writeFileAtomic(path.join(dir, 'target'), new Uint8Array(10)));
    assert.deepEqual(readdirSync(dir), ['target']);
    await writeFileAtomic(path.join(dir, 'ok.bin'), new Uint8Array([1, 2]));
    assert.deepEqual([...readFileSync(path.join(dir, 'ok.bin'))], [1, 2]);
  });
});
