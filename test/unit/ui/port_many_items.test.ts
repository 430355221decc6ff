import assert from 'node:assert/strict';
import { ENTER_PATH, manyPlaceholder, portManyItems, splitPortList } from '../../../src/ui/port_items';

const ports = [{ path: '/dev/ttyS0' }, { path: '/dev/ttyUSB1', vendorId: '1a86', productId: '7523' }, { path: '/dev/ttyUSB0', vendorId: '10c4', productId: 'ea60' }];
const shown = (items: ReturnType<typeof portManyItems>) => items.map((i) => (i.separator ? `--${i.label}` : `${i.value}${i.picked ? '+' : ''}`));

describe('ui/port_items (Flash All: several ports)', () => {
  it('lists bridges, other ports and every virtual chip directly, with last time’s ports checked', () => {
    const items = portManyItems(ports, 'esp32s3', ['/dev/ttyUSB1', 'virtual:esp32s3:encryption=development']);
    const s = shown(items);
    assert.deepEqual(s.slice(0, 5), ['--ESP boards (known USB bridges)', '/dev/ttyUSB0', '/dev/ttyUSB1+', '--Other serial ports', '/dev/ttyS0']);
    assert.equal(s[5], '--Virtual chips (dry run: nothing leaves this computer)');
    // The plan's chip first, plain and with flash encryption, as in the single picker's second list.
    assert.deepEqual(s.slice(6, 8), ['virtual:esp32s3', 'virtual:esp32s3:encryption=development+']);
    assert.ok(s.includes('virtual:esp32c3'));
    assert.deepEqual(s.slice(-2), ['--More', ENTER_PATH]);
    assert.equal(items.filter((i) => i.picked).length, 2);
  });

  it('puts checked ports the system does not list (a pty, a virtual spec with options) first', () => {
    const items = portManyItems([], undefined, ['/dev/pts/7', 'virtual:esp32c3:flash=8MB']);
    assert.deepEqual(shown(items).slice(0, 3), ['--Chosen last time', '/dev/pts/7+', 'virtual:esp32c3:flash=8MB+']);
    assert.match(items[2].label, /Virtual ESP32-C3 \(flash=8MB\)/);
    assert.ok(!items.some((i) => !i.separator && !i.value), 'a row that cannot be flashed would get a checkbox');
    assert.match(manyPlaceholder([]), /No ESP board found/);
    assert.doesNotMatch(manyPlaceholder(ports), /No ESP board found/);
    assert.match(manyPlaceholder([], 'Could not list serial ports (udevadm missing).'), /Could not list serial ports/);
  });

  it('splits typed port lists on commas, semicolons and spaces, each once', () => {
    assert.deepEqual(splitPortList(' /dev/pts/3, /dev/pts/4;virtual:esp32c3  /dev/pts/3 '), ['/dev/pts/3', '/dev/pts/4', 'virtual:esp32c3']);
    assert.deepEqual(splitPortList(' , '), []);
  });
});
