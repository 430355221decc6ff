import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SerialTransport } from '../../../src/core/transport/serial_transport';

/** A regular file, a folder or /dev/null given as the port: the real binding fails, and the error says what it is. */
describe('a path that is not a serial port', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'not-serial-'));
  const file = path.join(dir, 'firmware.bin');
  fs.writeFileSync(file, 'x');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const [what, p, says] of [
    ['a regular file', file, /is a regular file, not a serial port/],
    ['a folder', dir, /is a folder, not a serial port/],
    ['/dev/null', '/dev/null', /is a device without a serial line .*, not a serial port/],
  ] as const) {
    it(what, async () => {
      await assert.rejects(SerialTransport.open(p, 115200), (e: Error & { reason?: string }) => {
        assert.equal(e.name, 'PortOpenError');
        assert.equal(e.reason, 'not-serial', e.message);
        assert.match(e.message, says);
        assert.match(e.message, /Give the board's serial port \(\/dev\/ttyUSB0, \/dev\/ttyACM0, COM3\), or virtual:<chip>/);
        return true;
      });
    });
  }
});
