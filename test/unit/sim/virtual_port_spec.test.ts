import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseVirtualPortSpec } from '../../../src/sim/virtual_port_spec';
import { VirtualChip } from '../../../src/sim/virtual_chip';

describe('virtual port spec', () => {
  it('is undefined for real port paths', () => {
    assert.equal(parseVirtualPortSpec('/dev/ttyUSB0'), undefined);
    assert.equal(parseVirtualPortSpec('COM3'), undefined);
  });

  it('parses chip and options', () => {
    const hexKey = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
    const o = parseVirtualPortSpec(`virtual:ESP32-C3:encryption=development:stub=current:flash=8MB:timing:key=${hexKey}`)!;
    assert.equal(o.chip, 'esp32c3');
    assert.equal(o.encryption, 'development');
    assert.equal(o.stub, 'current');
    assert.equal(o.flashSize, 8 * 1024 * 1024);
    assert.equal(o.timing, true);
    assert.equal(Buffer.from(o.key!).toString('hex'), hexKey);
    const p = parseVirtualPortSpec('virtual:esp32:release:cryptconfig=0x9:secureboot:mac=24-0a-c4-01-02-03:bootlog=off:flash=0x400000:xts=32')!;
    assert.deepEqual(
      { ...p, mac: [...p.mac!] },
      { chip: 'esp32', encryption: 'release', flashCryptConfig: 9, secureBoot: true, mac: [0x24, 0x0a, 0xc4, 1, 2, 3], bootLog: false, flashSize: 0x400000, xtsKeySize: 32 },
    );
    assert.deepEqual(parseVirtualPortSpec('virtual:esp32s3'), { chip: 'esp32s3' });
  });

  it('reads a raw key file (relative or absolute path)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vps-'));
    try {
      const file = path.join(dir, 'key.bin');
      fs.writeFileSync(file, Buffer.alloc(64, 7));
      const o = parseVirtualPortSpec(`virtual:esp32s3:enc=dev:key=${file}`)!;
      assert.equal(o.key!.length, 64);
      const chip = new VirtualChip({ ...o, bootLog: false });
      assert.equal(chip.key!.length, 64);
      chip.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('throws clear errors for bad chips and options', () => {
    assert.throws(() => parseVirtualPortSpec('virtual:esp99'), /unknown chip "esp99".*esp32c3/);
    assert.throws(() => parseVirtualPortSpec('virtual:esp32:stub=new'), /stub=legacy, stub=legacy-1.10 or stub=current/);
    assert.throws(() => parseVirtualPortSpec('virtual:esp32:flash=big'), /option "flash=big".*size/);
    assert.throws(() => parseVirtualPortSpec('virtual:esp32:frobnicate'), /option "frobnicate" is not known/);
    assert.throws(() => parseVirtualPortSpec('virtual:esp32:key=/no/such/key.bin'), /neither a hex key.*nor a readable key file/);
    assert.throws(() => parseVirtualPortSpec('virtual:esp32:encryption=maybe'), /encryption=off, encryption=development or encryption=release/);
  });
});
