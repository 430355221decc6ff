import { strict as assert } from 'node:assert';
import { chipFacts } from '../../../src/core/chips';
import { chooseWireMethod, deviceEncryptionUnavailable, type LoaderCaps } from '../../../src/core/flash/write_method';
import { Op } from '../../../src/core/protocol/opcodes';
import { ESP_FLASHER_STUB_1_2_2, LEGACY_STUB_1_11_1, UNKNOWN_STUB } from '../../../src/core/protocol/stub_capabilities';

const rom = (chip: string): LoaderCaps => ({ chip: chipFacts(chip as 'esp32'), secureDownloadMode: false });

describe('write method chosen once from the loader, the chip and the encryption', () => {
  it('ESP32 ROM: plain 16-byte BEGIN, 0x400 blocks, sector-aligned, no END; device encryption ruled out by the one rule', () => {
    const w = chooseWireMethod('off', rom('esp32'), false);
    assert.deepEqual([w.method, w.beginEncryptWord, w.blockSize, w.sectorAlignedStart, w.sendsEnd], ['plain', undefined, 0x400, true, false]);
    assert.match(deviceEncryptionUnavailable(rom('esp32'))!, /ESP32 ROM loader cannot encrypt while writing/);
    assert.throws(() => chooseWireMethod('device', rom('esp32'), true), /Internal error: device encryption was chosen/);
  });

  it('ESP32-C3 ROM: the 5th BEGIN word is sent, 0 for plain, 1 for device encryption; compressed only when plain', () => {
    assert.equal(chooseWireMethod('off', rom('esp32c3'), false).beginEncryptWord, 0);
    const z = chooseWireMethod('off', rom('esp32c3'), true);
    assert.deepEqual([z.method, z.beginOp, z.dataOp, z.endOp], ['compressed', Op.FLASH_DEFL_BEGIN, Op.FLASH_DEFL_DATA, Op.FLASH_DEFL_END]);
    const e = chooseWireMethod('device', rom('esp32c3'), true);
    assert.deepEqual([e.method, e.beginOp, e.beginEncryptWord, e.compressed], ['encrypted', Op.FLASH_BEGIN, 1, false]);
    assert.equal(deviceEncryptionUnavailable(rom('esp8266')), 'ESP8266 has no flash encryption');
  });

  it('stubs: plain writes send a 16-byte BEGIN (every stub takes it) in 0x4000 blocks and END', () => {
    for (const stub of [ESP_FLASHER_STUB_1_2_2, LEGACY_STUB_1_11_1, UNKNOWN_STUB]) {
      const w = chooseWireMethod('off', { chip: chipFacts('esp32'), stub, secureDownloadMode: false }, true);
      assert.deepEqual([w.method, w.beginEncryptWord, w.blockSize, w.sectorAlignedStart, w.sendsEnd], ['compressed', undefined, 0x4000, false, true], stub.name);
      assert.equal(w.text, `compressed (${stub.name})`);
    }
  });

  it('stubs: device encryption follows the table (flag, 0xD4, or compressed with the flag)', () => {
    const l = (stub: typeof UNKNOWN_STUB): LoaderCaps => ({ chip: chipFacts('esp32'), stub, secureDownloadMode: false });
    const flag = chooseWireMethod('device', l(ESP_FLASHER_STUB_1_2_2), true);
    assert.deepEqual([flag.method, flag.dataOp, flag.beginEncryptWord], ['encrypted', Op.FLASH_DATA, 1]);
    const d4 = chooseWireMethod('device', l({ ...UNKNOWN_STUB, encryptedWrites: 'encrypt-data-op' }), true);
    assert.deepEqual([d4.method, d4.dataOp, d4.beginEncryptWord], ['encrypted-d4', Op.FLASH_ENCRYPT_DATA, undefined]);
    const both = chooseWireMethod('device', l({ ...ESP_FLASHER_STUB_1_2_2, compressedEncryptedWrites: true }), true);
    assert.deepEqual([both.method, both.beginOp, both.beginEncryptWord], ['encrypted-compressed', Op.FLASH_DEFL_BEGIN, 1]);
    // Host-key ciphertext is never compressed.
    assert.equal(chooseWireMethod('host', l(ESP_FLASHER_STUB_1_2_2), true).compressed, false);
  });
});
