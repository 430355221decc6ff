import * as assert from 'node:assert/strict';
import { encryptedSegmentAlignmentCheck, hostKeyWriteCheck } from '../../../src/core/crypto/host_key_check';

const txt = (r: { reason: string; advice: string } | undefined): string | undefined => (r ? `${r.reason} ${r.advice}` : undefined);

describe('crypto: hostKeyWriteCheck', () => {
  it('refuses when flash encryption is off, and says what to do (no CLI flag names)', () => {
    assert.equal(
      txt(hostKeyWriteCheck({ chip: 'esp32c3', flashEncryption: 'off', cryptCounter: 0b011 }, false)),
      'Refusing to write host-encrypted data: flash encryption is not enabled on ESP32-C3 (crypt counter 0b11, an even ' +
        'number of 1 bits), so the chip would run the ciphertext as plaintext and fail to boot. Enable flash encryption ' +
        "first, or write the segment with encryption 'off' or 'device', or force the write if you mean to enable encryption later.",
    );
    assert.match(txt(hostKeyWriteCheck({ flashEncryption: 'off' }, false)) ?? '', /not enabled on the device, so/);
  });

  it('allows it when forced, and in development and release mode', () => {
    assert.equal(hostKeyWriteCheck({ chip: 'esp32c3', flashEncryption: 'off' }, true), undefined);
    assert.equal(hostKeyWriteCheck({ chip: 'esp32s3', flashEncryption: 'development' }, false), undefined);
    assert.equal(hostKeyWriteCheck({ chip: 'esp32s3', flashEncryption: 'release' }, false), undefined);
  });

  it('refuses a chip without flash encryption even when forced', () => {
    assert.equal(txt(hostKeyWriteCheck({ chip: 'esp8266', flashEncryption: 'off' }, true)), 'ESP8266 has no flash encryption. Write the segment with encryption off.');
  });

  it('ESP32: refuses a FLASH_CRYPT_CONFIG other than the one the ciphertext is computed for', () => {
    const r = hostKeyWriteCheck({ chip: 'esp32', flashEncryption: 'release', flashCryptConfig: 0 }, false);
    assert.match(r?.reason ?? '', /^Refusing to write host-encrypted data: ESP32 has FLASH_CRYPT_CONFIG 0x0 but the ciphertext would be computed for 0xF; /);
    assert.match(r?.advice ?? '', /flash crypt config to 0x0/);
    assert.doesNotMatch(txt(r) ?? '', /--/);
    assert.equal(hostKeyWriteCheck({ chip: 'esp32', flashEncryption: 'release', flashCryptConfig: 0 }, false, { flashCryptConfig: 0 }), undefined);
    assert.equal(hostKeyWriteCheck({ chip: 'esp32', flashEncryption: 'release', flashCryptConfig: 0xf }, false), undefined);
    assert.equal(hostKeyWriteCheck({ chip: 'esp32', flashEncryption: 'release', flashCryptConfig: 0 }, true), undefined);
  });
});

describe('crypto: encryptedSegmentAlignmentCheck', () => {
  it('uses the chip table alignment (32 on ESP32, 16 elsewhere)', () => {
    assert.equal(
      encryptedSegmentAlignmentCheck('esp32', { name: 'app', offset: 0x10010 }),
      'Segment "app" at 0x10010 cannot be written encrypted: on ESP32 an encrypted segment must start at a multiple of 32 bytes (e.g. 0x10000). Move it or write it with encryption off.',
    );
    assert.equal(encryptedSegmentAlignmentCheck('esp32', { name: 'app', offset: 0x10020 }), undefined);
    assert.equal(encryptedSegmentAlignmentCheck('esp32c3', { name: 'app', offset: 0x10010 }), undefined);
    assert.match(encryptedSegmentAlignmentCheck('esp32c3', { name: 'nvs', offset: 0x9008 }) ?? '', /multiple of 16 bytes \(e\.g\. 0x9000\)/);
    assert.match(encryptedSegmentAlignmentCheck('esp8266', { name: 'app', offset: 0 }) ?? '', /ESP8266 has no flash encryption/);
  });
});
