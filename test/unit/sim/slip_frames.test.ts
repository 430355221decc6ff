import { strict as assert } from 'node:assert';
import { slipEncode, SlipFrameReader } from '../../../src/sim/slip_frames';
import { hex } from './sim_test_helpers';

describe('sim SLIP frames', () => {
  it('escapes 0xC0 and 0xDB and wraps in 0xC0', () => {
    assert.equal(hex(slipEncode(Uint8Array.from([0x01, 0xc0, 0x02, 0xdb, 0x03]))), 'c001dbdc02dbdd03c0');
  });

  it('decodes back-to-back frames and escapes', () => {
    const r = new SlipFrameReader();
    const frames = r.push(Uint8Array.from([0xc0, 0x01, 0xdb, 0xdc, 0xc0, 0xc0, 0xdb, 0xdd, 0x02, 0xc0]));
    assert.deepEqual(frames.map(hex), ['01c0', 'db02']);
  });

  it('keeps state across pushes (frame split over reads)', () => {
    const r = new SlipFrameReader();
    assert.deepEqual(r.push(Uint8Array.from([0xc0, 0x01, 0xdb])), []);
    assert.deepEqual(r.push(Uint8Array.from([0xdc, 0x02, 0xc0])).map(hex), ['01c002']);
  });

  it('drops text before the first delimiter and counts it', () => {
    const r = new SlipFrameReader();
    const frames = r.push(new Uint8Array([...Buffer.from('boot log\r\n'), 0xc0, 0x05, 0xc0]));
    assert.deepEqual(frames.map(hex), ['05']);
    assert.equal(r.counters.discardedBytes, 10);
  });

  it('drops a frame with a bad escape and resynchronises on the next delimiter', () => {
    const r = new SlipFrameReader();
    const frames = r.push(Uint8Array.from([0xc0, 0x01, 0xdb, 0x99, 0x02, 0xc0, 0xc0, 0x07, 0xc0]));
    assert.deepEqual(frames.map(hex), ['07']);
    assert.equal(r.counters.brokenFrames, 1);
  });

  it('a half frame followed by a full one yields both candidates; the caller rejects the half', () => {
    const r = new SlipFrameReader();
    const frames = r.push(Uint8Array.from([0xc0, 0x00, 0x08, 0xc0, 0x00, 0x0a, 0x04, 0x00, 0xc0]));
    assert.deepEqual(frames.map(hex), ['0008', '000a0400']);
  });
});
