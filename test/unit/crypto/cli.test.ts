/** encrypt-image / decrypt-image / generate-key, run in-process on temporary files. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as decryptImage from '../../../src/cli/cmd_decrypt_image';
import * as encryptImage from '../../../src/cli/cmd_encrypt_image';
import * as generateKey from '../../../src/cli/cmd_generate_key';
import { describeWithVectors, vector, vectorPath, VECTOR_CASES } from './shared_vectors';

let dir = '';
const tmp = (name: string): string => path.join(dir, name);

async function call(cmd: { run: (a: string[], out: (l: string) => void) => Promise<number> }, args: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await cmd.run(args, (l) => lines.push(l));
  return { code, lines };
}

describe('cli: crypto commands', () => {
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'espf-cli-crypto-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('cli: generate-key', () => {
    it('writes a 32-byte key for ESP32-C3 and refuses to overwrite it', async () => {
      const f = tmp('c3.bin');
      const r = await call(generateKey, ['--chip', 'esp32c3', '--output', f]);
      assert.equal(r.code, 0);
      assert.equal(fs.statSync(f).size, 32);
      assert.equal(r.lines[0], `Wrote a new XTS-AES-128 (32-byte key) for ESP32-C3 to ${f}.`);
      assert.match(r.lines[1], /not burned into any chip/);
      const before = fs.readFileSync(f);
      await assert.rejects(call(generateKey, ['--chip', 'esp32c3', '--output', f]), new RegExp(`already exists; generate-key never overwrites a key file`));
      assert.ok(fs.readFileSync(f).equals(before));
    });

    it('sizes: ESP32 32 bytes, ESP32-S3 --xts-256 64 bytes; two keys differ', async () => {
      await call(generateKey, ['--chip', 'ESP32', '-o', tmp('e1.bin')]);
      await call(generateKey, ['--chip', 'esp32', '-o', tmp('e2.bin')]);
      assert.equal(fs.statSync(tmp('e1.bin')).size, 32);
      assert.ok(!fs.readFileSync(tmp('e1.bin')).equals(fs.readFileSync(tmp('e2.bin'))));
      await call(generateKey, ['--chip', 'esp32s3', '--xts-256', '--output', tmp('s3.bin')]);
      const k = fs.readFileSync(tmp('s3.bin'));
      assert.equal(k.length, 64);
      assert.ok(!k.subarray(0, 32).equals(k.subarray(32)));
    });

    it('refusals', async () => {
      await assert.rejects(
        call(generateKey, ['--chip', 'esp32c3', '--xts-256', '-o', tmp('x.bin')]),
        /ESP32-C3 cannot use an XTS-AES-256 key \(its eFuses take 32-byte keys\); ask for a 32-byte key instead\./,
      );
      await assert.rejects(call(generateKey, ['--chip', 'esp8266', '-o', tmp('x.bin')]), /ESP8266 has no flash encryption/);
      await assert.rejects(call(generateKey, ['--output', tmp('x.bin')]), { name: 'UsageError', message: /--chip is required/ });
      await assert.rejects(call(generateKey, ['--chip', 'esp33', '-o', tmp('x.bin')]), { name: 'UsageError', message: /--chip: Unknown chip "esp33"/ });
      assert.equal(fs.existsSync(tmp('x.bin')), false);
    });
  });

  describe('cli: encrypt-image / decrypt-image round trip (always runs)', () => {
    it('encrypts an odd-length file with a generated key and decrypts it back (+0xFF padding)', async () => {
      await call(generateKey, ['--chip', 'esp32s2', '--xts-256', '--output', tmp('rt.bin')]);
      const plain = Buffer.from(Array.from({ length: 1001 }, (_, i) => (i * 7) & 0xff));
      fs.writeFileSync(tmp('plain.bin'), plain);
      const enc = await call(encryptImage, ['--chip', 'esp32s2', '-k', tmp('rt.bin'), '-a', '0x10010', '-o', tmp('enc.bin'), tmp('plain.bin')]);
      assert.equal(enc.code, 0);
      assert.ok(enc.lines.includes(`Note: ${tmp('plain.bin')} is 1001 bytes; padding with 7 bytes of 0xFF to a multiple of 16.`));
      assert.equal(fs.statSync(tmp('enc.bin')).size, 1008);
      const dec = await call(decryptImage, ['--chip', 'esp32s2', '-k', tmp('rt.bin'), '-a', '0x10010', '-o', tmp('dec.bin'), tmp('enc.bin')]);
      assert.equal(dec.code, 0);
      assert.ok(fs.readFileSync(tmp('dec.bin')).equals(Buffer.concat([plain, Buffer.alloc(7, 0xff)])));
      assert.match(dec.lines[dec.lines.length - 1], /^Decrypted .*enc\.bin \(1008 bytes\) for flash address 0x10010 \(XTS-AES-256\) to .*dec\.bin \(1008 bytes\)\.$/);
    });

    it('refusals name the problem', async () => {
      fs.writeFileSync(tmp('k32.bin'), Buffer.from(Array.from({ length: 32 }, (_, i) => i)));
      fs.writeFileSync(tmp('in.bin'), Buffer.alloc(64, 1));
      const base = ['-k', tmp('k32.bin'), '-o', tmp('o.bin')];
      await assert.rejects(call(encryptImage, [...base, '-a', '0x1008', tmp('in.bin')]), /in\.bin: flash address 0x1008 is not a multiple of 16/);
      await assert.rejects(call(encryptImage, [...base, '-a', '0x1000']), { name: 'UsageError', message: /give exactly one input file \(got none\)/ });
      await assert.rejects(call(encryptImage, ['-o', tmp('o.bin'), '-a', '0x1000', tmp('in.bin')]), { name: 'UsageError', message: /--keyfile is required/ });
      await assert.rejects(
        call(encryptImage, [...base, '--chip', 'esp32', '--aes-xts', '-a', '0', tmp('in.bin')]),
        /--aes-xts contradicts --chip esp32: ESP32 uses the ESP32 scheme/,
      );
      await assert.rejects(call(encryptImage, ['-k', tmp('k32.bin'), '-a', '0', '-o', tmp('in.bin'), tmp('in.bin')]), /--output is the input file/);
      await assert.rejects(call(encryptImage, [...base, '--chip', 'esp32c3', '-a', '0', tmp('missing.bin')]), /Input file .*missing\.bin not found\./);
      fs.writeFileSync(tmp('k64.bin'), Buffer.from(Array.from({ length: 64 }, (_, i) => i)));
      await assert.rejects(
        call(encryptImage, ['-k', tmp('k64.bin'), '-o', tmp('o.bin'), '-a', '0', tmp('in.bin')]),
        /k64\.bin holds 64 bytes, which is not a key for the ESP32 AES-256 scheme \(64 bytes is a key size of XTS-AES\)/,
      );
      await assert.rejects(call(encryptImage, ['-k', tmp('k64.bin'), '-o', tmp('o.bin'), '-a', '0', '--chip', 'esp32c6', tmp('in.bin')]), /but ESP32-C6 takes 32-byte keys/);
      fs.writeFileSync(tmp('short.bin'), Buffer.alloc(40));
      await assert.rejects(call(decryptImage, [...base, '-a', '0', tmp('short.bin')]), /short\.bin is 40 bytes long, not a multiple of 16/);
      assert.equal(fs.existsSync(tmp('o.bin')), false, 'no output file after a refusal');
    });
  });

  describeWithVectors('cli: encrypt-image / decrypt-image reproduce the espsecure vectors', () => {
    for (const c of VECTOR_CASES) {
      const schemeArgs = c.scheme === 'xts-aes' ? ['--aes-xts'] : ['--flash-crypt-conf', `0x${c.conf.toString(16)}`];
      it(`${c.cipher}: encrypt-image ${schemeArgs.join(' ')} gives it byte for byte; decrypt-image gives the plaintext`, async () => {
        const out = tmp(`enc-${c.cipher}`);
        const enc = await call(encryptImage, ['--keyfile', vectorPath(c.key), '--address', `0x${c.address.toString(16)}`, ...schemeArgs, '--output', out, vectorPath(c.plain)]);
        assert.equal(enc.code, 0);
        assert.ok(fs.readFileSync(out).equals(vector(c.cipher)));
        const back = tmp(`dec-${c.cipher}`);
        const dec = await call(decryptImage, ['--keyfile', vectorPath(c.key), '--address', String(c.address), ...schemeArgs, '--output', back, vectorPath(c.cipher)]);
        assert.equal(dec.code, 0);
        assert.ok(fs.readFileSync(back).equals(vector(c.plain)));
      });
    }

    it('accepts espsecure 4 spellings (--flash_crypt_conf, --aes_xts) and --chip', async () => {
      await call(encryptImage, ['-k', vectorPath('256bit_key.bin'), '-a', '0x1000', '--flash_crypt_conf', '9', '-o', tmp('u9.bin'), vectorPath('bootloader.bin')]);
      assert.ok(fs.readFileSync(tmp('u9.bin')).equals(vector('bootloader-encrypted-conf9.bin')));
      await call(encryptImage, ['-k', vectorPath('256bit_key.bin'), '-a', '0x1000', '--aes_xts', '-o', tmp('ux.bin'), vectorPath('bootloader.bin')]);
      assert.ok(fs.readFileSync(tmp('ux.bin')).equals(vector('bootloader-encrypted-aes-xts.bin')));
      const r = await call(encryptImage, ['-k', vectorPath('256bit_key.bin'), '-a', '0x1000', '--chip', 'esp32-c3', '-o', tmp('uc.bin'), vectorPath('bootloader.bin')]);
      assert.ok(fs.readFileSync(tmp('uc.bin')).equals(vector('bootloader-encrypted-aes-xts.bin')));
      assert.equal(r.lines[0], `Using XTS-AES-128 (32-byte key) from ${vectorPath('256bit_key.bin')}.`);
    });
  });
});
