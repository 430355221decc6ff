import { strict as assert } from 'node:assert';
import { dataRequest, decodeResponse, encodeRequest, xorChecksum } from '../../../src/core/protocol/packet';
import { describeStatus } from '../../../src/core/protocol/loader_errors';

describe('loader packets', () => {
  it('encodes a request header: direction 0, opcode, LE size, LE checksum', () => {
    const p = encodeRequest(0x03, Uint8Array.from([1, 2, 3]), 0xab);
    assert.deepEqual([...p], [0x00, 0x03, 0x03, 0x00, 0xab, 0x00, 0x00, 0x00, 1, 2, 3]);
  });

  it('computes the XOR checksum seeded with 0xEF', () => {
    assert.equal(xorChecksum(new Uint8Array(0)), 0xef);
    assert.equal(xorChecksum(Uint8Array.from([0xef])), 0x00);
    assert.equal(xorChecksum(Uint8Array.from([0x01, 0x02, 0x04])), 0xef ^ 0x07);
  });

  it('XORs four bytes at a time: the same checksum as byte by byte for every alignment of the view and length, chained through the seed', () => {
    const buf = new Uint8Array(300);
    for (let i = 0; i < buf.length; i++) buf[i] = (i * 73 + 41) & 0xff;
    const bytewise = (b: Uint8Array, seed: number) => b.reduce((x, v) => x ^ v, seed);
    for (const shift of [0, 1, 2, 3]) {
      const view = buf.subarray(shift); // byteOffset not a multiple of 4 for shifts 1–3
      for (const [s, e] of [
        [0, 0],
        [0, 1],
        [1, 4],
        [3, 9],
        [5, 6],
        [0, 200],
        [7, 251],
        [2, view.length],
      ]) {
        const part = view.subarray(s, e);
        assert.equal(xorChecksum(part), bytewise(part, 0xef), `view at +${shift}, range ${s}..${e}`);
        assert.equal(xorChecksum(part, 0x5a), bytewise(part, 0x5a), `seed 0x5a, view at +${shift}, range ${s}..${e}`);
      }
    }
  });

  it('builds a _DATA request: the 16-byte data header {len, seq, 0, 0}, the checksum of the data only', () => {
    const p = dataRequest(0x03, 5, Uint8Array.from([0x10, 0x20]));
    assert.deepEqual([...p.subarray(0, 8)], [0x00, 0x03, 18, 0, 0xef ^ 0x10 ^ 0x20, 0, 0, 0]);
    assert.deepEqual([...p.subarray(8, 24)], [2, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual([...p.subarray(24)], [0x10, 0x20]);
  });

  it('decodes a response and rejects requests and short frames', () => {
    const r = decodeResponse(Uint8Array.from([1, 0x0a, 4, 0, 0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0]));
    assert.ok(r);
    assert.equal(r.op, 0x0a);
    assert.equal(r.value, 0x12345678);
    assert.equal(r.data.length, 4);
    assert.equal(decodeResponse(Uint8Array.from([0, 0x0a, 0, 0, 0, 0, 0, 0])), undefined);
    assert.equal(decodeResponse(Uint8Array.from([1, 0x0a, 0])), undefined);
  });

  it('describes ROM and stub status codes', () => {
    assert.equal(describeStatus(0x01, 0x07), 'ROM error 0x07: checksum error');
    assert.equal(describeStatus(0xc1, 0x00), 'stub error 0xc100: bad data checksum');
    assert.equal(describeStatus(0xc0, 0x00), 'stub error 0xc000: bad data length');
  });

  it('a _DATA request is encodeRequest of its data header and block, with the checksum of the block', () => {
    const block = Uint8Array.from({ length: 1024 }, (_, i) => (i * 13 + 5) & 0xff);
    const header = Uint8Array.from([0, 4, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(dataRequest(0x11, 7, block), encodeRequest(0x11, Buffer.concat([header, block]), xorChecksum(block)));
    assert.deepEqual(dataRequest(0x03, 0, new Uint8Array(0)), encodeRequest(0x03, new Uint8Array(16), 0xef));
  });
});
