import { strict as assert } from 'node:assert';
import { CHIP_NAMES, chipFacts, cryptCounterEnabled, KEY_PURPOSE, readField } from '../../../src/core/chips';
import { VirtualChip } from '../../../src/sim/virtual_chip';
import { TestHost, words } from './sim_test_helpers';

const READ_REG = 0x0a;
const GET_SECURITY_INFO = 0x14;

describe('virtual chip eFuses reflect the flash-encryption state', () => {
  for (const name of CHIP_NAMES) {
    const facts = chipFacts(name);
    if (facts.cryptScheme === 'none') {
      it(`${name}: has no flash encryption, so encryption options are refused`, () => {
        assert.throws(() => new VirtualChip({ chip: name, encryption: 'development' }), /no flash encryption/);
      });
      continue;
    }
    for (const mode of ['off', 'development', 'release'] as const) {
      it(`${name} ${mode}: crypt counter, download-encrypt-disable, key presence, secure boot (READ_REG)`, async () => {
        const chip = new VirtualChip({ chip: name, encryption: mode, secureBoot: mode === 'release', resetLines: false, bootLog: false });
        const h = new TestHost(chip.transport());
        try {
          const reg = async (addr: number): Promise<number> => (await h.command(READ_REG, words(addr))).value;
          const e = facts.efuse;
          const cnt = readField(await reg(e.cryptCounter!.addr), e.cryptCounter!);
          assert.equal(cryptCounterEnabled(cnt), mode !== 'off', `counter ${cnt}`);
          assert.equal(readField(await reg(e.downloadEncryptDisabled!.addr), e.downloadEncryptDisabled!), mode === 'release' ? 1 : 0);
          assert.equal(readField(await reg(e.secureBoot!.addr), e.secureBoot!), mode === 'release' ? 1 : 0);
          const kp = e.keyPresence;
          const keyed = mode !== 'off';
          if (kp.kind === 'esp32-block1') {
            assert.equal(readField(await reg(kp.readDisableBlock1.addr), kp.readDisableBlock1), keyed ? 1 : 0);
            assert.equal(readField(await reg(kp.flashCryptConfig.addr), kp.flashCryptConfig), keyed ? 0xf : 0);
            for (let i = 0; i < 8; i++) assert.equal(await reg(kp.keyWords + 4 * i), 0, 'key words read back as 0');
          } else if (kp.kind === 'key-purpose') {
            const p0 = readField(await reg(kp.purposes[0].addr), kp.purposes[0]);
            assert.equal(p0, keyed ? KEY_PURPOSE.XTS_AES_128_KEY : 0);
          } else if (kp.kind === 'esp32c2-key0') {
            assert.equal(readField(await reg(kp.keyLength256.addr), kp.keyLength256), keyed ? 1 : 0);
            assert.equal(readField(await reg(kp.readDisable.addr), kp.readDisable), keyed ? 3 : 0);
          }
          if (facts.securityInfo !== 'none') {
            const r = await h.command(GET_SECURITY_INFO);
            assert.equal(r.data[0] & 1, mode === 'release' ? 1 : 0, 'flags bit 0 = secure boot');
            assert.equal(r.data[4], cnt, 'crypt counter byte');
            if (kp.kind === 'key-purpose') assert.equal(r.data[5], keyed ? KEY_PURPOSE.XTS_AES_128_KEY : 0);
          }
        } finally {
          chip.close();
        }
      });
    }
  }

  it('XTS-AES-256 keys show purposes 2 and 3 on KEY0/KEY1 where the chip takes 64-byte keys', async () => {
    for (const name of CHIP_NAMES) {
      const facts = chipFacts(name);
      const kp = facts.efuse.keyPresence;
      if (kp.kind !== 'key-purpose') continue;
      if (!facts.xtsKeySizes.includes(64)) {
        assert.throws(() => new VirtualChip({ chip: name, encryption: 'development', xtsKeySize: 64 }), /cannot hold a 64-byte XTS key/);
        assert.throws(() => new VirtualChip({ chip: name, key: new Uint8Array(64) }), /takes XTS-AES keys of 32 bytes/);
        continue;
      }
      const chip = new VirtualChip({ chip: name, encryption: 'development', xtsKeySize: 64, bootLog: false });
      assert.equal(readField(chip.readRegister(kp.purposes[0].addr), kp.purposes[0]), KEY_PURPOSE.XTS_AES_256_KEY_1);
      assert.equal(readField(chip.readRegister(kp.purposes[1].addr), kp.purposes[1]), KEY_PURPOSE.XTS_AES_256_KEY_2);
      chip.close();
    }
  });

  it('esp32: FLASH_CRYPT_CONFIG follows the option; esp32c2: a 16-byte key clears the 256-bit length bit', () => {
    const esp32 = new VirtualChip({ chip: 'esp32', encryption: 'development', flashCryptConfig: 0x9, bootLog: false });
    const kp = chipFacts('esp32').efuse.keyPresence;
    assert.ok(kp.kind === 'esp32-block1');
    assert.equal(readField(esp32.readRegister(kp.flashCryptConfig.addr), kp.flashCryptConfig), 0x9);
    esp32.close();
    const c2 = new VirtualChip({ chip: 'esp32c2', encryption: 'development', key: new Uint8Array(16).fill(7), bootLog: false });
    const k2 = chipFacts('esp32c2').efuse.keyPresence;
    assert.ok(k2.kind === 'esp32c2-key0');
    assert.equal(readField(c2.readRegister(k2.keyLength256.addr), k2.keyLength256), 0);
    assert.equal(readField(c2.readRegister(k2.readDisable.addr), k2.readDisable), 1);
    c2.close();
  });

  it('setEncryption burns a new state (key kept) and the registers follow', () => {
    const chip = new VirtualChip({ chip: 'esp32s2', bootLog: false });
    assert.equal(chip.key, undefined);
    assert.throws(() => chip.decryptFlash(0, 16), /no flash-encryption key/);
    chip.setEncryption('development');
    const key = chip.key!;
    assert.equal(key.length, 32);
    const f = chipFacts('esp32s2').efuse;
    assert.equal(readField(chip.readRegister(f.cryptCounter!.addr), f.cryptCounter!), 1);
    chip.setEncryption('release');
    assert.deepEqual(chip.key, key);
    assert.equal(readField(chip.readRegister(f.downloadEncryptDisabled!.addr), f.downloadEncryptDisabled!), 1);
    assert.equal(readField(chip.readRegister(f.cryptCounter!.addr), f.cryptCounter!), 0b111);
    chip.setEfuses({ secureBoot: true });
    assert.equal(readField(chip.readRegister(f.secureBoot!.addr), f.secureBoot!), 1);
    chip.close();
  });

  it('bad keys and options are refused with messages naming the setting', () => {
    assert.throws(() => new VirtualChip({ chip: 'esp32', key: new Uint8Array(16) }), /must be 32 bytes \(or 24/);
    assert.throws(() => new VirtualChip({ chip: 'esp32c3', flashSize: 3 * 1024 * 1024 }), /power of two/);
    assert.throws(() => new VirtualChip({ chip: 'esp32', flashCryptConfig: 16 }), /FLASH_CRYPT_CONFIG/);
    assert.throws(() => new VirtualChip({ chip: 'esp32', mac: new Uint8Array(5) }), /MAC must be 6 bytes/);
  });
});
