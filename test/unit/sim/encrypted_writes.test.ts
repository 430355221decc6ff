import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { ChipName } from '../../../src/core/chips';
import { esp32Encrypt, xtsEncrypt } from '../../../src/sim/sim_crypto';
import { VirtualChip, VirtualChipOptions } from '../../../src/sim/virtual_chip';
import { dataRequest, enterStub, hex, parseReply, sharedDir, TestHost, words } from './sim_test_helpers';

const OP = { FLASH_BEGIN: 0x02, FLASH_DATA: 0x03, FLASH_END: 0x04, DEFL_BEGIN: 0x10, DEFL_DATA: 0x11, DEFL_END: 0x12, ENCRYPT_DATA: 0xd4 };
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

function open(chip: ChipName, extra: Partial<VirtualChipOptions>): { chip: VirtualChip; h: TestHost } {
  const c = new VirtualChip({ chip, resetLines: false, bootLog: false, stub: 'legacy', ...extra });
  return { chip: c, h: new TestHost(c.transport()) };
}

/** ROM-style write: BEGIN (optionally with the 5th word), 0x400 blocks padded with 0xFF. */
async function romWrite(h: TestHost, offset: number, data: Uint8Array, encryptedWord?: number): Promise<string[]> {
  const blocks = Math.ceil(data.length / 0x400);
  const begin = encryptedWord === undefined ? words(data.length, blocks, 0x400, offset) : words(data.length, blocks, 0x400, offset, encryptedWord);
  const out = [hex((await h.command(OP.FLASH_BEGIN, begin)).data)];
  for (let seq = 0; seq < blocks; seq++) {
    const block = new Uint8Array(0x400).fill(0xff);
    block.set(data.subarray(seq * 0x400, seq * 0x400 + 0x400));
    await h.send(dataRequest(OP.FLASH_DATA, seq, block));
    out.push(hex(parseReply((await h.frames(1))[0]).data));
  }
  return out;
}

/** Stub write with FLASH_DATA or FLASH_ENCRYPT_DATA, 0x4000 blocks. */
async function stubWrite(h: TestHost, offset: number, data: Uint8Array, op: number, begin20?: number): Promise<string[]> {
  const blocks = Math.ceil(data.length / 0x4000);
  const bw = begin20 === undefined ? words(data.length, blocks, 0x4000, offset) : words(data.length, blocks, 0x4000, offset, begin20);
  const out = [hex((await h.command(OP.FLASH_BEGIN, bw)).data)];
  for (let seq = 0; seq < blocks; seq++) {
    const block = new Uint8Array(0x4000).fill(0xff);
    block.set(data.subarray(seq * 0x4000, seq * 0x4000 + 0x4000));
    await h.send(dataRequest(op, seq, block));
    out.push(hex(parseReply((await h.frames(1))[0]).data));
  }
  out.push(hex((await h.command(OP.FLASH_END, words(1))).data));
  return out;
}

const shared = sharedDir();
const vec = (f: string): Uint8Array => new Uint8Array(fs.readFileSync(path.join(shared!, 'vectors', f)));

describe('virtual chip encrypted writes', () => {
  let chip: VirtualChip;
  let h: TestHost;
  afterEach(() => chip?.close());

  it('esp32c3 ROM encrypted write (5th word 1): raw flash = XTS-AES-128 of the plaintext at that address', async () => {
    ({ chip, h } = open('esp32c3', { encryption: 'development' }));
    const plain = new Uint8Array(crypto.randomBytes(0x900));
    const st = await romWrite(h, 0x10000, plain, 1);
    assert.ok(
      st.every((s) => s === '00000000'),
      st.join(),
    );
    assert.ok(same(chip.readFlash(0x10000, plain.length), xtsEncrypt(chip.key!, 0x10000, plain)));
    assert.ok(same(chip.decryptFlash(0x10000, plain.length), plain));
    assert.ok(same(chip.encryptForFlash(0x10000, plain), chip.readFlash(0x10000, plain.length)));
  });

  it('esp32c3 ROM: a 5th word of 0 writes plaintext', async () => {
    ({ chip, h } = open('esp32c3', { encryption: 'development' }));
    const plain = new Uint8Array(crypto.randomBytes(0x400));
    await romWrite(h, 0x10000, plain, 0);
    assert.ok(same(chip.readFlash(0x10000, plain.length), plain));
  });

  it('esp32 ROM with flash encryption on: a plain 16-byte FLASH_BEGIN stores PLAINTEXT without any error (§12)', async () => {
    ({ chip, h } = open('esp32', { encryption: 'development' }));
    const plain = new Uint8Array(crypto.randomBytes(0x800));
    const st = await romWrite(h, 0x10000, plain);
    assert.ok(
      st.every((s) => s === '00000000'),
      st.join(),
    );
    assert.ok(same(chip.readFlash(0x10000, plain.length), plain));
    assert.ok(!same(chip.decryptFlash(0x10000, plain.length), plain), 'the chip would read garbage');
  });

  it('esp32 legacy stub FLASH_ENCRYPT_DATA (0xD4) stores the ESP32 AES ciphertext', async () => {
    const key = new Uint8Array(crypto.randomBytes(32));
    ({ chip, h } = open('esp32', { encryption: 'development', key, flashCryptConfig: 0xf }));
    await enterStub(h);
    const plain = new Uint8Array(crypto.randomBytes(0x5000));
    const st = await stubWrite(h, 0x20000, plain, OP.ENCRYPT_DATA);
    assert.ok(
      st.every((s) => s === '0000'),
      st.join(),
    );
    assert.ok(same(chip.readFlash(0x20000, plain.length), esp32Encrypt(key, 0x20000, plain, 0xf)));
    assert.ok(same(chip.decryptFlash(0x20000, plain.length), plain));
  });

  it('current stub: FLASH_DEFL_BEGIN with encrypted flag inflates then encrypts (esp32s3, XTS-AES-256 key)', async () => {
    ({ chip, h } = open('esp32s3', { encryption: 'development', stub: 'current', xtsKeySize: 64 }));
    assert.equal(chip.key!.length, 64);
    await enterStub(h);
    const plain = new Uint8Array(0x6000).map((_, i) => (i * 7) & 0xff);
    const z = new Uint8Array(zlib.deflateSync(plain, { level: 9 }));
    assert.equal(hex((await h.command(OP.DEFL_BEGIN, words(plain.length, 1, 0x4000, 0x30000, 1))).data), '0000');
    await h.send(dataRequest(OP.DEFL_DATA, 0, z));
    assert.equal(hex(parseReply((await h.frames(1))[0]).data), '0000');
    assert.equal(hex((await h.command(OP.DEFL_END, words(1))).data), '0000');
    assert.ok(same(chip.readFlash(0x30000, plain.length), xtsEncrypt(chip.key!, 0x30000, plain)));
  });

  it('release mode, ROM: encrypted FLASH_BEGIN erases, every encrypted block is refused with 01 08, nothing programmed', async () => {
    ({ chip, h } = open('esp32c6', { encryption: 'release' }));
    chip.preloadFlash(0x10000, new Uint8Array(0x1000));
    const st = await romWrite(h, 0x10000, new Uint8Array(0x800).fill(0x42), 1);
    assert.deepEqual(st, ['00000000', '01080000', '01080000']);
    assert.ok(chip.readFlash(0x10000, 0x1000).every((b) => b === 0xff));
    assert.match(chip.lastWriteFault, /Release mode/);
  });

  it('release mode, legacy stub 0xD4: block ACKed, 0xC400 on the next DATA and on END (pipelined)', async () => {
    ({ chip, h } = open('esp32', { encryption: 'release' }));
    await enterStub(h);
    const st = await stubWrite(h, 0x10000, new Uint8Array(0x8000).fill(0x42), OP.ENCRYPT_DATA);
    assert.deepEqual(st, ['0000', '0000', 'c400', 'c400']);
    assert.ok(chip.readFlash(0x10000, 0x8000).every((b) => b === 0xff));
  });

  it('no key burned: encrypted writes fail like release mode', async () => {
    ({ chip, h } = open('esp32h2', {}));
    const st = await romWrite(h, 0x10000, new Uint8Array(0x400), 1);
    assert.deepEqual(st, ['00000000', '01080000']);
    assert.match(chip.lastWriteFault, /no flash-encryption key/);
  });

  it('legacy stub rejects the 20-byte encrypted BEGIN with 0xC000; ESP32 encrypted data must be 32-byte aligned', async () => {
    ({ chip, h } = open('esp32', { encryption: 'development' }));
    await enterStub(h);
    assert.equal(hex((await h.command(OP.FLASH_BEGIN, words(0x100, 1, 0x4000, 0x10000, 1))).data), 'c000');
    const st = await stubWrite(h, 0x10010, new Uint8Array(0x100), OP.ENCRYPT_DATA);
    assert.deepEqual(st, ['0000', '0000', 'c400']);
    assert.match(chip.lastWriteFault, /32-byte aligned/);
  });

  describe('against the published ciphertexts (../shared/vectors)', () => {
    if (!shared) {
      it('shared corpus not present: skipped', function () {
        console.log('      shared corpus not present (../shared/vectors): device vector tests skipped');
        this.skip();
      });
      return;
    }
    it('esp32c3 ROM encrypted write of bootloader.bin at 0x1000 with 256bit_key.bin = bootloader-encrypted-aes-xts.bin', async () => {
      ({ chip, h } = open('esp32c3', { encryption: 'development', key: vec('256bit_key.bin') }));
      const plain = vec('bootloader.bin');
      const st = await romWrite(h, 0x1000, plain, 1);
      assert.ok(st.every((s) => s === '00000000'));
      assert.ok(same(chip.readFlash(0x1000, plain.length), vec('bootloader-encrypted-aes-xts.bin')));
    });

    it('esp32 legacy stub 0xD4 write of bootloader.bin at 0x1000 (conf 0xF) = bootloader-encrypted.bin', async () => {
      ({ chip, h } = open('esp32', { encryption: 'development', key: vec('256bit_key.bin') }));
      await enterStub(h);
      const plain = vec('bootloader.bin');
      const st = await stubWrite(h, 0x1000, plain, OP.ENCRYPT_DATA);
      assert.ok(
        st.every((s) => s === '0000'),
        st.join(),
      );
      assert.ok(same(chip.readFlash(0x1000, plain.length), vec('bootloader-encrypted.bin')));
    });

    it('esp32 stub with FLASH_CRYPT_CONFIG 0x9 = bootloader-encrypted-conf9.bin', async () => {
      ({ chip, h } = open('esp32', { encryption: 'development', key: vec('256bit_key.bin'), flashCryptConfig: 0x9 }));
      await enterStub(h);
      const plain = vec('bootloader.bin');
      await stubWrite(h, 0x1000, plain, OP.ENCRYPT_DATA);
      assert.ok(same(chip.readFlash(0x1000, plain.length), vec('bootloader-encrypted-conf9.bin')));
    });

    it('esp32c6 current stub, 20-byte BEGIN: hello-world at 0x20000 = hello-world-signed-encrypted-aes-xts.bin', async () => {
      ({ chip, h } = open('esp32c6', { encryption: 'development', stub: 'current', key: vec('ef-flashencryption-key.bin') }));
      await enterStub(h);
      const plain = vec('hello-world-signed.bin');
      const st = await stubWrite(h, 0x20000, plain, OP.FLASH_DATA, 1);
      assert.ok(
        st.every((s) => s === '0000'),
        st.join(),
      );
      assert.ok(same(chip.readFlash(0x20000, plain.length), vec('hello-world-signed-encrypted-aes-xts.bin')));
    });
  });
});
