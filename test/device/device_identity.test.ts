/**
 * Revision, crystal, features and the read-only eFuse summary through a pseudo-terminal: what the
 * Device view shows after any connection. The reader only ever calls READ_REG (chip_identity.ts).
 */
import { strict as assert } from 'node:assert';
import type { DeviceInfo } from '../../src/core/flash/api';
import { readDeviceInfo } from '../../src/core/flash/device_ops';
import { flashSegments } from '../../src/core/flash/flash_job';
import type { FlashEvent } from '../../src/core/flash/events';
import { ptyChipsPerTest } from './flash_helpers';

describe('device identity and eFuse summary (read only)', function () {
  this.timeout(30_000);
  const chips = ptyChipsPerTest();

  it('ESP32-S3 in development mode: revision, fixed 40 MHz crystal, KEY0 an XTS key read- and write-protected, read only', async () => {
    const pty = await chips.start({ chip: 'esp32s3', encryption: 'development' });
    const info = await readDeviceInfo({ port: pty.path });
    const id = info.identity!;
    assert.ok(id, 'no identity in the device info');
    assert.deepEqual(id.revision, pty.chip['efuses'].revision);
    assert.deepEqual([id.crystalMHz, id.crystalSource], [40, 'fixed']);
    assert.ok(id.features.includes('BLE'), id.features.join(', '));
    const [key0, key1] = id.keyBlocks;
    assert.deepEqual(key0, { name: 'BLOCK_KEY0', purpose: 'XTS_AES_128_KEY', burned: true, writeProtected: true, readProtected: true });
    assert.deepEqual(key1, { name: 'BLOCK_KEY1', purpose: 'USER', burned: false, writeProtected: false, readProtected: false });
    assert.equal(id.writeDisable, 1 << 23);
    assert.equal(id.readDisable, 1);
  });

  it('ESP32 in release mode: revision v3.1 (with the APB date bit), crystal measured from the UART divider, BLOCK1 protected', async () => {
    const info = await readDeviceInfo({ port: 'virtual:esp32:release' });
    const id = info.identity!;
    assert.deepEqual(id.revision, { major: 3, minor: 1 });
    assert.deepEqual([id.crystalMHz, id.crystalSource], [40, 'measured']);
    assert.deepEqual(id.keyBlocks[0], { name: 'BLOCK1 (flash encryption)', purpose: 'flash encryption key', burned: true, writeProtected: true, readProtected: true });
    assert.equal(id.keyBlocks[1].burned, false);
    assert.equal(info.downloadEncryptDisabled, true);
    assert.equal(info.securitySource, 'efuse');
  });

  it('a chip without flash encryption: nothing burned, nothing protected', async () => {
    const info = await readDeviceInfo({ port: 'virtual:esp32c3' });
    const id = info.identity!;
    assert.deepEqual(id.revision, { major: 0, minor: 4 });
    assert.equal(id.writeDisable, 0);
    assert.ok(
      id.keyBlocks.every((b) => !b.burned && !b.writeProtected && !b.readProtected),
      JSON.stringify(id.keyBlocks),
    );
  });

  it('a flash reports the same device facts as a "device" event (the Device view fills after any connection)', async () => {
    const pty = await chips.start({ chip: 'esp32c6' });
    let device: DeviceInfo | undefined;
    const events: FlashEvent['kind'][] = [];
    const r = await flashSegments([{ name: 'data', offset: 0x10000, bytes: new Uint8Array(4096).fill(7), encrypt: 'off' }], {
      port: pty.path,
      onEvent: (e) => {
        events.push(e.kind);
        if (e.kind === 'device') device = e.info;
      },
    });
    assert.ok(r.ok, r.error);
    assert.ok(device, `no device event: ${events.join(', ')}`);
    assert.equal(device.chip, 'esp32c6');
    assert.deepEqual(device.identity?.revision, { major: 0, minor: 1 });
    assert.ok(events.indexOf('device') < events.indexOf('segment-start'), events.join(', '));
  });
});
