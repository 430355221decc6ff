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
    // Text alone is not read: an untyped error that merely says "Cannot lock port" stays 'other'.
    assert.equal(adviseError(new Error('Error: Cannot lock port'), 'COM3').kind, 'other');
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
    const plaintext = {
      code: 'plaintext-in-encrypted-region',
      segment: 'app',
      offset: 0x10000,
      overridable: true,
      reason: 'Segment "app" at 0x10000 is plaintext but the device has flash encryption on.',
      advice: 'Write it encrypted.',
    };
    const over = flashResultError(
      { error: 'Nothing was written. ' + plaintext.reason + tail, refusals: [{ ...plaintext, message: `${plaintext.reason} ${plaintext.advice}` }] },
      'fallback',
    );
    const a = adviseError(over, 'p');
    assert.equal(a.kind, 'refusal');
    assert.equal(a.overridable, true);
    assert.equal(a.message, 'ESP Flasher refused to write: Segment "app" at 0x10000 is plaintext but the device has flash encryption on.');
    assert.match(a.detail, /Write it encrypted\. Override it only if you are sure/);
    const rom = { code: 'loader-cannot-encrypt', segment: 'app', offset: 0x10000, overridable: false, reason: 'ESP32 ROM cannot encrypt.', advice: 'Use the stub.' };
    const chip = { code: 'image-chip', segment: 'app', offset: 0x10000, overridable: true, reason: 'Segment "app" is for ESP32-C3.', advice: 'Build for ESP32.' };
    const mixed = flashResultError({ error: 'Nothing was written.' + tail, refusals: [rom, chip] }, 'fallback');
    const b = adviseError(mixed, 'p');
    assert.equal(b.kind, 'refusal');
    assert.equal(b.overridable, false);
    assert.match(b.detail, /Use the stub\. Build for ESP32\. This check cannot be overridden/);
    assert.equal(b.message, 'ESP Flasher refused to write: ESP32 ROM cannot encrypt. Segment "app" is for ESP32-C3.');
    // A failed result without refusals is not a refusal, whatever its text says.
    assert.notEqual(adviseError(flashResultError({ error: 'No serial data received.' }, 'x')).kind, 'refusal');
    assert.equal(flashResultError({}, 'see the output').message, 'see the output');
  });

  it('recognises a thrown refusal with a list of refusals', () => {
    const e = Object.assign(new Error('refused'), { name: 'FlashRefusedError', refusals: [{ overridable: true }, { overridable: true }] });
    assert.deepEqual([adviseError(e).kind, adviseError(e).overridable], ['refusal', true]);
  });

  it('says a regular file, a folder or /dev/null given as the port is not a serial port', () => {
    const a = adviseError(portOpenError('not-serial', '/tmp is a folder, not a serial port.'), '/tmp');
    assert.equal(a.kind, 'port-missing');
    assert.equal(a.message, '/tmp is not a serial port.');
  });

  it('recognises cancellation and passes anything else through', () => {
    assert.equal(adviseError(Object.assign(new Error('Flash cancelled.'), { name: 'CancelledError' })).kind, 'cancelled');
    const other = adviseError(new Error('No serial data received'));
    assert.deepEqual(other, { kind: 'other', message: 'No serial data received', detail: '', overridable: false });
  });

  it("words the stub failure with the editor's setting, by the error's class (the core's text names no option)", () => {
    const text = 'The flasher stub (esp32c3.json) did not start: no "OHAI" within 3 s after MEM_END. Flash without the stub (through the ROM loader), or use another stub folder.';
    const a = adviseError(flashResultError({ error: text, errorClass: 'StubStartError' }, 'x'));
    assert.equal(a.kind, 'other');
    assert.equal(a.message, text);
    assert.match(a.detail, /set "ESP Flasher › Stub" to "rom"/);
    // The same words without the class: passed through, no guess from the text.
    assert.equal(adviseError(flashResultError({ error: text }, 'x')).detail, '');
  });
});
