import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { deviceKeyFileName, resolveHostKey } from '../../../src/core/crypto/device_key_file';
import { SeededRandom } from './seeded_random';

describe('crypto: per-device key files', () => {
  const rnd = new SeededRandom(11);
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'espf-keydir-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('names a key file by MAC', () => {
    assert.equal(deviceKeyFileName('AA:BB:cc:dd:ee:0F'), 'aabbccddee0f.bin');
    assert.equal(deviceKeyFileName('aa-bb-cc-dd-ee-ff'), 'aabbccddeeff.bin');
    assert.throws(() => deviceKeyFileName('aa:bb:cc'), /"aa:bb:cc" is not a MAC address/);
  });

  it('picks keyDir/<mac>.bin, prefers a key file, and explains a missing key', () => {
    const k1 = rnd.bytes(32);
    const k2 = rnd.bytes(32);
    fs.writeFileSync(path.join(dir, 'aabbccddeeff.bin'), k1);
    fs.writeFileSync(path.join(dir, 'single.bin'), k2);
    assert.ok(resolveHostKey({ keyDir: dir }, { chip: 'esp32c3', mac: 'aa:bb:cc:dd:ee:ff' }).bytes.equals(k1));
    assert.ok(resolveHostKey({ keyFile: path.join(dir, 'single.bin'), keyDir: dir }, { chip: 'esp32c3', mac: 'aa:bb:cc:dd:ee:ff' }).bytes.equals(k2));
    assert.throws(
      () => resolveHostKey({ keyDir: dir }, { chip: 'esp32c3', mac: '11:22:33:44:55:66' }),
      new RegExp(`^InputError: No key for device 11:22:33:44:55:66 in .*: expected .*112233445566\\.bin\\. Put this device's key file there`),
    );
    assert.throws(() => resolveHostKey({ keyDir: dir }, { chip: 'esp32c3' }), /needs the device's MAC address/);
    assert.throws(() => resolveHostKey({}, { chip: 'esp32c3' }), /Segments with encryption 'host' need a key: give a key file or a per-device key directory\./);
  });
});
