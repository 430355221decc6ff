import { strict as assert } from 'node:assert';
import { SlipDecoder, slipEncode } from '../../../src/core/protocol/slip';

describe('SLIP framing', () => {
  it('escapes 0xDB and 0xC0 inside a frame', () => {
    const out = slipEncode(Uint8Array.from([0x01, 0xc0, 0x02, 0xdb, 0x03]));
    assert.deepEqual([...out], [0xc0, 0x01, 0xdb, 0xdc, 0x02, 0xdb, 0xdd, 0x03, 0xc0]);
  });

  it('decodes frames split across chunks and un-escapes them', () => {
    const d = new SlipDecoder();
    d.push(Uint8Array.from([0xc0, 0x01, 0xdb]));
    assert.equal(d.take(), undefined);
    d.push(Uint8Array.from([0xdc, 0x02, 0xdb, 0xdd, 0xc0]));
    const item = d.take();
    assert.ok(item && item.kind === 'frame');
    assert.deepEqual([...item.data], [0x01, 0xc0, 0x02, 0xdb]);
  });

  it('keeps boot-log noise between frames and still finds the frames', () => {
    const d = new SlipDecoder();
    const log = Buffer.from('rst:0x1 (POWERON_RESET),boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))\nwaiting for download\n', 'latin1');
    d.push(new Uint8Array(Buffer.concat([log, Buffer.from([0xc0, 0xaa, 0xc0]), Buffer.from('more'), Buffer.from([0xc0, 0xbb, 0xc0])])));
    const a = d.take();
    const b = d.take();
    assert.ok(a?.kind === 'frame' && b?.kind === 'frame');
    assert.deepEqual([...a.data], [0xaa]);
    assert.deepEqual([...b.data], [0xbb]);
    assert.match(d.noiseText(), /waiting for download/);
    assert.match(d.noiseText(), /more$/);
  });

  it('treats back-to-back delimiters (C0 C0) as one boundary', () => {
    const d = new SlipDecoder();
    d.push(Uint8Array.from([0xc0, 0x11, 0xc0, 0xc0, 0x22, 0xc0]));
    const a = d.take();
    const b = d.take();
    assert.ok(a?.kind === 'frame' && b?.kind === 'frame');
    assert.deepEqual([...a.data, ...b.data], [0x11, 0x22]);
    assert.equal(d.take(), undefined);
  });

  it('reports a frame with an invalid escape instead of returning wrong bytes', () => {
    const d = new SlipDecoder();
    d.push(Uint8Array.from([0xc0, 0x01, 0xdb, 0x05, 0x02, 0xc0, 0xc0, 0x07, 0xc0]));
    const bad = d.take();
    assert.ok(bad?.kind === 'bad-frame');
    assert.match(bad.reason, /0xDB 0x05/);
    const good = d.take();
    assert.ok(good?.kind === 'frame');
    assert.deepEqual([...good.data], [0x07]);
  });

  it('round-trips every byte value', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const d = new SlipDecoder();
    d.push(slipEncode(all));
    const item = d.take();
    assert.ok(item?.kind === 'frame');
    assert.deepEqual([...item.data], [...all]);
  });
});
