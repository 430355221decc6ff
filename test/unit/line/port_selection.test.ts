import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PortSelectionError, globToRegExp, selectPorts, splitPortBaud } from '../../../src/core/line/port_selection';
import type { ListedPort } from '../../../src/core/transport/usb_bridges';

const listing: ListedPort[] = [
  { path: '/dev/ttyUSB1', vendorId: '10c4', productId: 'ea60', serialNumber: 'A1', locationId: '1-1.2' },
  { path: '/dev/ttyUSB0', vendorId: '1a86', productId: '7523', serialNumber: 'B2' },
  { path: '/dev/ttyACM0', vendorId: '303a', productId: '1001', pnpId: 'usb-Espressif_USB_JTAG' },
  { path: '/dev/ttyS0' },
  { path: '/dev/ttyUSB10', vendorId: '0bda', productId: '8153' },
];
const list = async (): Promise<ListedPort[]> => listing;

describe('line/port_selection', () => {
  it('globs: *, ?, classes and negated classes, anchored', () => {
    assert.ok(globToRegExp('/dev/ttyUSB*').test('/dev/ttyUSB10'));
    assert.ok(!globToRegExp('/dev/ttyUSB?').test('/dev/ttyUSB10'));
    assert.ok(globToRegExp('/dev/tty[AU]*').test('/dev/ttyACM0'));
    assert.ok(!globToRegExp('/dev/tty[!AU]*').test('/dev/ttyACM0'));
    assert.ok(!globToRegExp('ttyUSB*').test('/dev/ttyUSB0'));
    assert.ok(!globToRegExp('/dev/tty.USB0').test('/dev/ttyxUSB0'));
  });

  it("PORT@BAUD sets a port's own baud; a silly baud is refused", () => {
    assert.deepEqual(splitPortBaud('/dev/ttyUSB0@921600'), { port: '/dev/ttyUSB0', baud: 921600 });
    assert.deepEqual(splitPortBaud('COM3'), { port: 'COM3' });
    assert.throws(() => splitPortBaud('/dev/ttyUSB0@12'), /baud 12 is outside/);
  });

  it('auto picks the known ESP bridges, sorted by path, with USB serial and location', async () => {
    const ports = await selectPorts({ ports: [], patterns: ['auto'] }, list);
    assert.deepEqual(
      ports.map((p) => p.port),
      ['/dev/ttyACM0', '/dev/ttyUSB0', '/dev/ttyUSB1'],
    );
    assert.deepEqual(ports[2], { port: '/dev/ttyUSB1', usbSerial: 'A1', usbLocation: '1-1.2', bridge: 'Silicon Labs CP210x' });
    assert.equal(ports[0].usbLocation, 'usb-Espressif_USB_JTAG');
  });

  it('a glob takes every listed match (bridge or not) in numeric order; explicit ports keep their order', async () => {
    const g = await selectPorts({ ports: [], patterns: ['/dev/ttyUSB*@460800'] }, list);
    assert.deepEqual(
      g.map((p) => [p.port, p.baud]),
      [
        ['/dev/ttyUSB0', 460800],
        ['/dev/ttyUSB1', 460800],
        ['/dev/ttyUSB10', 460800],
      ],
    );
    const e = await selectPorts({ ports: ['/dev/ttyUSB1', 'virtual:esp32c3', '/dev/ttyS9'], patterns: [] }, list);
    assert.deepEqual(
      e.map((p) => p.port),
      ['/dev/ttyUSB1', 'virtual:esp32c3', '/dev/ttyS9'],
    );
    assert.equal(e[0].usbSerial, 'A1');
  });

  it('the same port twice (directly, through a pattern, through a symlink, COM case) is an error', async () => {
    await assert.rejects(selectPorts({ ports: ['/dev/ttyUSB0', '/dev/ttyUSB0'], patterns: [] }, list), /\/dev\/ttyUSB0 is given twice/);
    await assert.rejects(selectPorts({ ports: ['/dev/ttyUSB0'], patterns: ['auto'] }, list), PortSelectionError);
    await assert.rejects(selectPorts({ ports: ['COM3', 'com3'], patterns: [] }, list), /same device \(COM3\)/);
    await assert.rejects(selectPorts({ ports: ['virtual:esp32c3', 'virtual:esp32c3'], patterns: [] }, list), /add :mac=/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'line-sel-'));
    try {
      fs.writeFileSync(path.join(dir, 'dev'), '');
      fs.symlinkSync(path.join(dir, 'dev'), path.join(dir, 'by-id'));
      await assert.rejects(selectPorts({ ports: [path.join(dir, 'dev'), path.join(dir, 'by-id')], patterns: [] }, list), /are the same device/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a pattern matching nothing names what is present; no port at all says how to give one', async () => {
    await assert.rejects(selectPorts({ ports: [], patterns: ['/dev/cu.*'] }, list), (e: unknown) => {
      assert.ok(e instanceof PortSelectionError);
      assert.match(e.message, /^The port pattern \/dev\/cu\.\* matches no serial port\. Ports present: \/dev\/ttyUSB1, /);
      assert.deepEqual([e.reason, e.pattern], ['no-match', '/dev/cu.*']);
      assert.doesNotMatch(e.message, /--/, 'the core names no CLI flag');
      return true;
    });
    await assert.rejects(
      selectPorts({ ports: [], patterns: ['auto'] }, async () => []),
      /No known ESP USB bridge .* No serial ports are listed at all/,
    );
    await assert.rejects(selectPorts({ ports: [], patterns: [] }, list), /No port given/);
  });

  it('explicit ports do not need the listing to work', async () => {
    const ports = await selectPorts({ ports: ['/dev/ttyUSB5'], patterns: [] }, async () => {
      throw new Error('no listing here');
    });
    assert.deepEqual(ports, [{ port: '/dev/ttyUSB5' }]);
  });
});
