import assert from 'node:assert/strict';
import { ENTER_PATH, VIRTUAL_CHIP, portPickItems, virtualChipItems, virtualLabel } from '../../../src/ui/port_items';

const ports = [
  { path: '/dev/ttyS0' },
  { path: '/dev/ttyS1' },
  { path: '/dev/ttyUSB1', vendorId: '1a86', productId: '7523' },
  { path: '/dev/ttyACM0', vendorId: '303a', productId: '1001', serialNumber: 'F4:12' },
  { path: '/dev/ttyUSB0', vendorId: '10c4', productId: 'ea60', manufacturer: 'Silicon Labs' },
];

const shown = (items: ReturnType<typeof portPickItems>) => items.map((i) => (i.separator ? `--${i.label}` : `${i.value}${i.active ? '*' : ''}`));

describe('ui/port_items', () => {
  it('lists known ESP bridges first with their names, then plain serial ports, then one "Virtual chip…" entry', () => {
    const items = portPickItems(ports, '/dev/ttyUSB1');
    assert.deepEqual(shown(items), [
      '--ESP boards (known USB bridges)',
      '/dev/ttyUSB0',
      '/dev/ttyUSB1*',
      '/dev/ttyACM0',
      '--Other serial ports',
      '/dev/ttyS0',
      '/dev/ttyS1',
      '--More',
      ENTER_PATH,
      VIRTUAL_CHIP,
    ]);
    assert.match(items[1].description!, /^Silicon Labs CP210x · 10C4:EA60/);
    assert.match(items[2].description!, /WCH CH340/);
    assert.match(items[3].description!, /Espressif USB-Serial\/JTAG · 303A:1001 · S\/N F4:12/);
    assert.equal(items.filter((i) => /virtual/i.test(`${i.label} ${i.value}`)).length, 1, 'virtual chips are behind one entry');
  });

  it('puts a current port the system does not list (a pty, a virtual chip) first, preselected', () => {
    const items = portPickItems(ports, 'virtual:esp32s3:encryption=development');
    assert.deepEqual(shown(items).slice(0, 3), ['--Current port', 'virtual:esp32s3:encryption=development*', '--ESP boards (known USB bridges)']);
    assert.match(items[1].label, /Virtual ESP32-S3, flash encryption on/);
    assert.equal(items.filter((i) => i.active).length, 1);
    assert.equal(virtualLabel('virtual:esp32c3'), 'Virtual ESP32-C3');
    assert.equal(virtualLabel('virtual:esp32s3:encryption=development:flash=8MB'), 'Virtual ESP32-S3, flash encryption on (flash=8MB)');
    assert.equal(virtualLabel('virtual:esp32:release'), 'Virtual ESP32, flash encryption release');
    assert.equal(virtualLabel('virtual:nope'), 'virtual:nope');
  });

  it('says when no ESP board is plugged in, and offers the virtual chips of the plan first', () => {
    const items = portPickItems([{ path: '/dev/ttyS0' }], undefined, 'udevadm missing');
    assert.deepEqual(shown(items).slice(0, 2), ['--ESP boards (known USB bridges)', '']);
    assert.equal(items[1].description, 'udevadm missing');
    const virt = virtualChipItems('esp32c3', 'virtual:esp32c3');
    assert.deepEqual(
      virt.slice(0, 2).map((v) => `${v.value}${v.active ? '*' : ''}`),
      ['virtual:esp32c3*', 'virtual:esp32c3:encryption=development'],
    );
  });
});
