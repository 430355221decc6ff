import assert from 'node:assert/strict';
import type { DeviceInfo } from '../../../src/core/flash/api';
import { deviceRows } from '../../../src/ui/device_rows';

describe('ui/device_rows', () => {
  const info: DeviceInfo = {
    chip: 'esp32',
    description: 'ESP32-D0WD-V3 (revision v3.0)',
    mac: 'aa:bb:cc:dd:ee:ff',
    flashSize: 4 * 1024 * 1024,
    flashId: 0x1640ef,
    flashEncryption: 'release',
    cryptCounter: 0x7f,
    secureBoot: false,
    secureDownloadMode: true,
    flashCryptConfig: 0xf,
    keyPresent: true,
    stub: false,
  };

  it('lists chip, MAC, flash size and the security state, read only', () => {
    const rows = deviceRows('/dev/ttyUSB0', info);
    assert.deepEqual(
      rows.map((r) => `${r.label}: ${r.value}`),
      [
        'Port: /dev/ttyUSB0',
        'Chip: ESP32-D0WD-V3 (revision v3.0)',
        'MAC: aa:bb:cc:dd:ee:ff',
        'Flash size: 4 MiB',
        'Flash encryption: release (crypt counter 0x7f)',
        'Encryption key: present',
        'FLASH_CRYPT_CONFIG: 0xf',
        'Secure boot: off',
        'Download mode: secure download mode (restricted)',
        'Loader: ROM loader',
      ],
    );
    const enc = rows.find((r) => r.label === 'Flash encryption')!;
    assert.equal(enc.attention, true);
    assert.match(enc.tooltip!, /pre-encrypted/);
    assert.match(rows.find((r) => r.label === 'Flash size')!.tooltip!, /Flash ID 0x1640ef/);
  });

  it('leaves out FLASH_CRYPT_CONFIG where the chip has none and says when the size is unknown', () => {
    const rows = deviceRows('COM3', { ...info, chip: 'esp32c3', flashCryptConfig: undefined, flashSize: undefined, flashEncryption: 'off', secureDownloadMode: false });
    assert.ok(!rows.some((r) => r.label === 'FLASH_CRYPT_CONFIG'));
    assert.equal(rows.find((r) => r.label === 'Flash size')!.value, 'unknown');
    assert.equal(rows.find((r) => r.label === 'Flash encryption')!.attention, false);
    assert.equal(rows.find((r) => r.label === 'Download mode')!.value, 'normal');
  });
  it('adds revision, crystal, features and the eFuse summary when the connection read them', () => {
    const rows = deviceRows('COM3', {
      ...info,
      secureDownloadMode: false,
      downloadEncryptDisabled: true,
      identity: {
        revision: { major: 3, minor: 1 },
        crystalMHz: 40,
        crystalSource: 'measured',
        features: ['Wi-Fi', 'Bluetooth'],
        writeDisable: 0x84,
        readDisable: 1,
        keyBlocks: [
          { name: 'BLOCK1 (flash encryption)', purpose: 'flash encryption key', burned: true, writeProtected: true, readProtected: true },
          { name: 'BLOCK2 (secure boot)', burned: false, writeProtected: false, readProtected: false },
        ],
      },
    });
    const text = rows.map((r) => `${r.label}: ${r.value}`);
    for (const line of [
      'Revision: v3.1',
      'Crystal: 40 MHz',
      'Features: Wi-Fi, Bluetooth',
      'Encrypt in download mode: disabled (the chip will not encrypt what it receives)',
      'eFuse write-protect (WR_DIS): 0x84 (2 bits set)',
      'eFuse read-protect (RD_DIS): 0b1',
      'BLOCK1 (flash encryption): flash encryption key · burned · write-protected · read-protected',
      'BLOCK2 (secure boot): empty',
    ]) {
      assert.ok(text.includes(line), `no "${line}" in:\n${text.join('\n')}`);
    }
    assert.match(rows.find((r) => r.label === 'Crystal')!.tooltip!, /Measured/);
  });
});
