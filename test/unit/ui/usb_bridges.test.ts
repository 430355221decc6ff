import assert from 'node:assert/strict';
import { autoPickPort, describePort, rankPorts } from '../../../src/ui/usb_bridges';

describe('ui/usb_bridges', () => {
  const cp210x = { path: '/dev/ttyUSB1', vendorId: '10c4', productId: 'ea60', manufacturer: 'Silicon Labs', serialNumber: '0001' };
  const ftdi = { path: '/dev/ttyUSB0', vendorId: '0403', productId: '6001' };
  const jtag = { path: '/dev/ttyACM0', vendorId: '303A', productId: '1001' };
  const other = { path: '/dev/ttyACM3', vendorId: '2341', productId: '0043', manufacturer: 'Arduino' };
  const plain = { path: '/dev/ttyS0' };

  it('names a known bridge with its VID:PID and serial number', () => {
    assert.equal(describePort(cp210x).description, 'Silicon Labs CP210x · 10C4:EA60 · S/N 0001');
    assert.equal(describePort(other).description, 'Arduino · 2341:0043');
    assert.equal(describePort(plain).description, 'no USB information');
  });

  it('puts known ESP bridges first (table order), other USB ports next, the rest last', () => {
    assert.deepEqual(
      rankPorts([plain, other, jtag, ftdi, cp210x]).map((p) => p.path),
      ['/dev/ttyUSB1', '/dev/ttyUSB0', '/dev/ttyACM0', '/dev/ttyACM3', '/dev/ttyS0'],
    );
  });

  it('recognises CH340, CH9102 and the native USB ids', () => {
    for (const [vid, pid] of [
      ['1a86', '7523'],
      ['1A86', '55D4'],
      ['303a', '0002'],
      ['303a', '0009'],
      ['303a', '0012'],
      ['0403', '6010'],
      ['0403', '6014'],
    ]) {
      assert.ok(describePort({ path: 'x', vendorId: vid, productId: pid }).bridge, `${vid}:${pid}`);
    }
  });

  it('auto-picks only when exactly one known ESP bridge is present', () => {
    assert.equal(autoPickPort([plain, other, cp210x]), '/dev/ttyUSB1');
    assert.equal(autoPickPort([cp210x, ftdi]), undefined);
    assert.equal(autoPickPort([plain, other]), undefined);
  });
});
