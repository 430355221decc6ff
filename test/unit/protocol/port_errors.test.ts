import { strict as assert } from 'node:assert';
import { describeIoError, describeOpenError, isNoControlLines } from '../../../src/core/transport/port_errors';

describe('serial port error messages', () => {
  it('names a missing port', () => {
    const e = describeOpenError('/dev/ttyUSB7', new Error('Error: No such file or directory, cannot open /dev/ttyUSB7'), 'linux');
    assert.equal(e.reason, 'not-found');
    assert.match(e.message, /Serial port \/dev\/ttyUSB7 not found .*Is the board plugged in/);
  });

  it('names a busy port (Linux lock, Windows access denied)', () => {
    assert.equal(describeOpenError('/dev/ttyUSB0', new Error('Error Resource temporarily unavailable Cannot lock port'), 'linux').reason, 'busy');
    const w = describeOpenError('COM3', new Error('Opening COM3: Access denied'), 'win32');
    assert.equal(w.reason, 'busy');
    assert.match(w.message, /COM3 is busy: another program has it open \(a serial monitor/);
  });

  it('names missing permissions and the dialout group on Linux', () => {
    const e = describeOpenError('/dev/ttyACM0', new Error('Error: Permission denied, cannot open /dev/ttyACM0'), 'linux');
    assert.equal(e.reason, 'permission');
    assert.match(e.message, /Permission denied opening \/dev\/ttyACM0\. On Linux add yourself to the dialout group \(sudo usermod -aG dialout \$USER/);
  });

  it('recognises "no control lines" ioctl failures (pseudo-terminals)', () => {
    assert.equal(isNoControlLines(new Error('Error: Inappropriate ioctl for device, cannot set')), true);
    assert.equal(isNoControlLines(new Error('Error: Input/output error')), false);
  });

  it('turns I/O errors on an open port into "went away"', () => {
    assert.match(describeIoError('/dev/ttyUSB0', 'writing', new Error('Input/output error, cannot drain')).message, /\/dev\/ttyUSB0 went away while writing .*unplugged/);
  });
});
