import assert from 'node:assert/strict';
import { adviseError, refusalLines } from '../../../src/ui/error_advice';

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

  it('recognises a refused flash result and whether every refusal can be overridden', () => {
    const over =
      'Nothing was written. Segment "app" at 0x10000 is plaintext but the device has flash encryption on. (--force overrides this check.) Written: nothing. Not written: app.';
    const a = adviseError(new Error(over), 'p');
    assert.equal(a.kind, 'refusal');
    assert.equal(a.overridable, true);
    assert.equal(a.message, 'ESP Flasher refused to write: Segment "app" at 0x10000 is plaintext but the device has flash encryption on.');
    const mixed =
      'Nothing was written. ESP32 ROM cannot encrypt: use the stub.\nSegment "app" is for ESP32-C3. (--force overrides this check.) Written: nothing. Not written: app.';
    const b = adviseError(new Error(mixed), 'p');
    assert.equal(b.kind, 'refusal');
    assert.equal(b.overridable, false);
    assert.match(b.detail, /cannot be overridden/);
    assert.deepEqual(refusalLines(mixed), [
      { text: 'ESP32 ROM cannot encrypt: use the stub.', overridable: false },
      { text: 'Segment "app" is for ESP32-C3.', overridable: true },
    ]);
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
