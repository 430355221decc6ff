import { strict as assert } from 'node:assert';
import { chipFacts } from '../../../src/core/chips';
import { macFromWords, readDeviceSecurity, readMac } from '../../../src/core/protocol/device_security';
import { LoaderConnection } from '../../../src/core/protocol/loader_connection';
import { LoaderSession } from '../../../src/core/protocol/loader_session';
import { parseSecurityInfo } from '../../../src/core/protocol/security_info';
import { fakeRom, securityInfo } from './fake_rom';

const s = (regs: Record<number, number>) => new LoaderSession(new LoaderConnection(fakeRom({ regs })));

describe('security state from eFuses (§3.5)', () => {
  it('ESP32: odd FLASH_CRYPT_CNT = development mode; key words and crypt config read', async () => {
    const chip = chipFacts('esp32');
    const sec = await readDeviceSecurity(s({ 0x3ff5a000: 0b0000001 << 20, 0x3ff5a038: 0x11, 0x3ff5a014: 0xf << 28 }), chip, undefined, false);
    assert.equal(sec.flashEncryptionEnabled, true);
    assert.equal(sec.mode, 'development');
    assert.equal(sec.keyPresent, true);
    assert.equal(sec.flashCryptConfig, 0xf);
    assert.equal(sec.downloadEncryptDisabled, false);
  });

  it('ESP32: even counter = off; read-protected key counts as present', async () => {
    const sec = await readDeviceSecurity(s({ 0x3ff5a000: (0b11 << 20) | (1 << 16) | (1 << 19) }), chipFacts('esp32'), undefined, false);
    assert.equal(sec.mode, 'off');
    assert.equal(sec.keyPresent, true);
    assert.equal(sec.flashCryptConfig, 0xf);
  });

  it('ESP32-C3: release mode when download encryption is disabled; key purpose 4 = key present', async () => {
    const sec = await readDeviceSecurity(s({ 0x60008834: (0b111 << 18) | (4 << 28), 0x60008830: 1 << 20 }), chipFacts('esp32c3'), undefined, false);
    assert.equal(sec.mode, 'release');
    assert.equal(sec.keyPresent, true);
    assert.equal(sec.downloadEncryptDisabled, true);
  });

  it('ESP32-S3: XTS-256 key needs both purposes 2 and 3', async () => {
    const one = await readDeviceSecurity(s({ 0x60007034: (1 << 18) | (2 << 24) }), chipFacts('esp32s3'), undefined, false);
    assert.equal(one.keyPresent, false);
    const both = await readDeviceSecurity(s({ 0x60007034: (1 << 18) | (2 << 24) | (3 << 28) }), chipFacts('esp32s3'), undefined, false);
    assert.equal(both.keyPresent, true);
  });

  it('Secure Download Mode: facts from GET_SECURITY_INFO only', async () => {
    const info = parseSecurityInfo(Uint8Array.from(securityInfo((1 << 2) | 1, 1, [4], 5)));
    const sec = await readDeviceSecurity(s({}), chipFacts('esp32c3'), info, true);
    assert.equal(sec.secureDownloadMode, true);
    assert.equal(sec.flashEncryptionEnabled, true);
    assert.equal(sec.secureBoot, true);
    assert.equal(sec.keyPresent, true);
    assert.equal(sec.downloadEncryptDisabled, undefined);
  });

  it('reads the MAC from the two eFuse words', async () => {
    assert.equal(macFromWords(0xccddeeff, 0x0000aabb), 'aa:bb:cc:dd:ee:ff');
    const chip = chipFacts('esp32c6');
    assert.equal(await readMac(s({ [chip.efuse.macWord0]: 0x12345678, [chip.efuse.macWord0 + 4]: 0x9abc }), chip), '9a:bc:12:34:56:78');
  });
});
