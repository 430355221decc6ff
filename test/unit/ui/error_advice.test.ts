import assert from 'node:assert/strict';
import { adviseError, flashResultError } from '../../../src/ui/error_advice';

function portOpenError(reason: string, message: string): Error {
  return Object.assign(new Error(message), { name: 'PortOpenError', reason, port: '/dev/ttyUSB0' });
}

describe('ui/error_advice', () => {
  it('says a port is held by another program (from the core’s PortOpenError or a raw EBUSY)', () => {
    const a = adviseError(portOpenError('busy', 'Serial port /dev/ttyUSB0 is busy'), '/dev/ttyUSB0');
    assert.equal(a.kind, 'port-busy');
    assert.equal(a.message, '/dev/ttyUSB0 is held by another program.');
    assert.match(a.detail, /serial monitor/);
    assert.equal(adviseError(new Error('Error: Cannot lock port'), 'COM3').kind, 'port-busy');
    assert.equal(adviseError(Object.assign(new Error('x'), { code: 'EBUSY' }), 'p').kind, 'port-busy');
  });

  it('tells a missing port from a permission problem', () => {
    assert.equal(adviseError(portOpenError('not-found', 'not found'), 'p').kind, 'port-missing');
    const perm = adviseError(portOpenError('permission', 'Permission denied'), 'p');
    assert.equal(perm.kind, 'permission');
    assert.match(perm.detail, /dialout/);
  });

  it('blames a file, not the port, when a file path is at fault', () => {
    const e = Object.assign(new Error("ENOENT: no such file or directory, open '/k/key.bin'"), { code: 'ENOENT', path: '/k/key.bin' });
    const a = adviseError(e, '/dev/ttyUSB0');
    assert.equal(a.kind, 'other');
    assert.match(a.detail, /\/k\/key\.bin/);
  });

  it('turns a refused flash result into a refusal, from the core refusal list, and says whether all can be overridden', () => {
    const tail = ' Written: nothing. Not written: app.';
    const over = flashResultError(
      {
        error: 'Nothing was written. Segment "app" at 0x10000 is plaintext but the device has flash encryption on. (--force overrides this check.)' + tail,
        refusals: [{ message: 'Segment "app" at 0x10000 is plaintext but the device has flash encryption on. (--force overrides this check.)', overridable: true }],
      },
      'fallback',
    );
    const a = adviseError(over, 'p');
    assert.equal(a.kind, 'refusal');
    assert.equal(a.overridable, true);
    assert.equal(a.message, 'ESP Flasher refused to write: Segment "app" at 0x10000 is plaintext but the device has flash encryption on.');
    const mixed = flashResultError(
      {
        error: 'Nothing was written. ESP32 ROM cannot encrypt: use the stub.' + tail,
        refusals: [
          { message: 'ESP32 ROM cannot encrypt: use the stub.', overridable: false },
          { message: 'Segment "app" is for ESP32-C3. (--force overrides this check.)', overridable: true },
        ],
      },
      'fallback',
    );
    const b = adviseError(mixed, 'p');
    assert.equal(b.kind, 'refusal');
    assert.equal(b.overridable, false);
    assert.match(b.detail, /cannot be overridden/);
    assert.equal(b.message, 'ESP Flasher refused to write: ESP32 ROM cannot encrypt: use the stub. Segment "app" is for ESP32-C3.');
    // A failed result without refusals is not a refusal, whatever its text says.
    assert.notEqual(adviseError(flashResultError({ error: 'No serial data received.' }, 'x')).kind, 'refusal');
    assert.equal(flashResultError({}, 'see the output').message, 'see the output');
  });

  it('recognises a thrown refusal with a list of refusals', () => {
    const e = Object.assign(new Error('refused'), { name: 'FlashRefusedError', refusals: [{ overridable: true }, { overridable: true }] });
    assert.deepEqual([adviseError(e).kind, adviseError(e).overridable], ['refusal', true]);
  });

  it('recognises cancellation and passes anything else through', () => {
    assert.equal(adviseError(Object.assign(new Error('Flash cancelled.'), { name: 'CancelledError' })).kind, 'cancelled');
    const other = adviseError(new Error('No serial data received'));
    assert.deepEqual(other, { kind: 'other', message: 'No serial data received', detail: '', overridable: false });
  });
});
