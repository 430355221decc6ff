import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import * as zlib from 'node:zlib';
import { VirtualChip } from '../../../src/sim/virtual_chip';
import { dataRequest, enterStub, hex, parseReply, TestHost, words } from './sim_test_helpers';

const OP = { FLASH_BEGIN: 0x02, FLASH_DATA: 0x03, FLASH_END: 0x04, READ_REG: 0x0a, DEFL_BEGIN: 0x10, DEFL_DATA: 0x11, DEFL_END: 0x12 };

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

/** Compressible test data: an "image" of repeated text with some random bytes. */
async function sendBlocks(h: TestHost, op: number, stream: Uint8Array, blockSize: number, pad = false, firstSeq = 0): Promise<string[]> {
  const statuses: string[] = [];
  for (let seq = firstSeq, o = 0; o < stream.length; seq++, o += blockSize) {
    let block = stream.subarray(o, o + blockSize);
    if (pad && block.length < blockSize) {
      const p = new Uint8Array(blockSize).fill(0xff);
      p.set(block);
      block = p;
    }
    await h.send(dataRequest(op, seq, block));
    const r = parseReply((await h.frames(1))[0]);
    statuses.push(hex(r.data));
  }
  return statuses;
}

describe('virtual chip flash writes', () => {
  let chip: VirtualChip;
  let h: TestHost;
  afterEach(() => chip.close());

  for (const name of ['esp32', 'esp32c3'] as const) {
    it(`${name} ROM: FLASH_DEFL_* writes its output in whole 32 KiB pieces, the rest when the stream ends`, async () => {
      chip = new VirtualChip({ chip: name, resetLines: false, bootLog: false });
      h = new TestHost(chip.transport());
      const image = new Uint8Array(crypto.randomBytes(0x14000)).map((b) => b & 0x0f); // deflates to about half: many blocks
      const z = new Uint8Array(zlib.deflateSync(image, { level: 9 }));
      const blocks = Math.ceil(z.length / 0x400);
      const rounded = Math.ceil(image.length / 0x400) * 0x400;
      assert.equal(hex((await h.command(OP.DEFL_BEGIN, words(rounded, blocks, 0x400, 0x10000))).data), '00000000');
      // On flash after each block: the whole pieces of what the blocks so far inflate to.
      const inflated = (n: number) => zlib.inflateSync(z.subarray(0, n * 0x400), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).length;
      const seen = new Set<number>();
      for (let seq = 0; seq < blocks; seq++) {
        await h.send(dataRequest(OP.DEFL_DATA, seq, z.subarray(seq * 0x400, seq * 0x400 + 0x400)));
        assert.equal(hex(parseReply((await h.frames(1))[0]).data), '00000000');
        const whole = seq === blocks - 1 ? image.length : Math.floor(inflated(seq + 1) / 0x8000) * 0x8000;
        const flash = chip.readFlash(0x10000, image.length);
        assert.ok(same(flash.subarray(0, whole), image.subarray(0, whole)), `block ${seq}: the first 0x${whole.toString(16)} bytes are written`);
        assert.ok(
          flash.subarray(whole).every((b) => b === 0xff),
          `block ${seq}: nothing after 0x${whole.toString(16)} yet`,
        );
        seen.add(whole);
      }
      assert.ok(seen.has(0) && seen.has(0x8000) && seen.has(0x10000), [...seen].join());
    });
  }

  for (const stub of ['legacy', 'current'] as const) {
    it(`stub (${stub}): FLASH_DEFL_* with 0x4000 blocks, exact size, FLASH_DEFL_END checks completeness`, async () => {
      chip = new VirtualChip({ chip: 'esp32s3', resetLines: false, bootLog: false, stub });
      h = new TestHost(chip.transport());
      await enterStub(h);
      const image = new Uint8Array(crypto.randomBytes(0x9000)); // incompressible: several blocks
      const z = new Uint8Array(zlib.deflateSync(image, { level: 9 }));
      const blocks = Math.ceil(z.length / 0x4000);
      assert.equal(hex((await h.command(OP.DEFL_BEGIN, words(image.length, blocks, 0x4000, 0x20000))).data), '0000');
      const st = await sendBlocks(h, OP.DEFL_DATA, z, 0x4000);
      assert.ok(
        st.every((s) => s === '0000'),
        st.join(),
      );
      assert.equal(hex((await h.command(OP.DEFL_END, words(1))).data), '0000');
      assert.ok(same(chip.readFlash(0x20000, image.length), image));
    });
  }

  it('ROM: a broken deflate stream is refused with 01 0B (deflate failed)', async () => {
    chip = new VirtualChip({ chip: 'esp32c6', resetLines: false, bootLog: false });
    h = new TestHost(chip.transport());
    await h.command(OP.DEFL_BEGIN, words(0x400, 1, 0x400, 0x10000));
    const st = await sendBlocks(h, OP.DEFL_DATA, Uint8Array.from([0x78, 0xda, 0xff, 0xff, 0xff, 0xff, 0x00, 0x11]), 0x400);
    assert.deepEqual(st, ['010b0000']);
  });

  it('legacy stub: a broken deflate stream is ACKed, then 0xC700 on the next DATA and on END (pipelined)', async () => {
    chip = new VirtualChip({ chip: 'esp32', resetLines: false, bootLog: false });
    h = new TestHost(chip.transport());
    await enterStub(h);
    await h.command(OP.DEFL_BEGIN, words(0x8000, 2, 0x4000, 0x10000));
    const bad = new Uint8Array(0x4000).fill(0x5a);
    bad.set([0x78, 0xda, 0xff]);
    assert.deepEqual(await sendBlocks(h, OP.DEFL_DATA, bad, 0x4000), ['0000']);
    assert.deepEqual(await sendBlocks(h, OP.DEFL_DATA, new Uint8Array(16), 0x4000), ['c700']);
    assert.equal(hex((await h.command(OP.DEFL_END, words(1))).data), 'c700');
  });

  it('current stub: the accumulated error comes back on the next command of any kind', async () => {
    chip = new VirtualChip({ chip: 'esp32c3', resetLines: false, bootLog: false, stub: 'current' });
    h = new TestHost(chip.transport());
    await enterStub(h);
    await h.command(OP.DEFL_BEGIN, words(0x8000, 2, 0x4000, 0x10000));
    assert.deepEqual(await sendBlocks(h, OP.DEFL_DATA, Uint8Array.from([0x78, 0xda, 0xff, 0xff, 0x12]), 0x4000), ['0000']);
    const r = await h.command(OP.READ_REG, words(0x40001000));
    assert.equal(hex(r.data), 'c700');
    assert.equal(hex((await h.command(OP.READ_REG, words(0x40001000))).data), '0000', 'reported once');
  });

  it('stub: inflated data beyond the announced size is 0xC900 (too much data)', async () => {
    chip = new VirtualChip({ chip: 'esp32c3', resetLines: false, bootLog: false });
    h = new TestHost(chip.transport());
    await enterStub(h);
    const z = new Uint8Array(zlib.deflateSync(new Uint8Array(0x2000).fill(0x11)));
    await h.command(OP.DEFL_BEGIN, words(0x1000, 1, 0x4000, 0x10000));
    assert.deepEqual(await sendBlocks(h, OP.DEFL_DATA, z, 0x4000), ['0000']);
    assert.equal(hex((await h.command(OP.DEFL_END, words(1))).data), 'c900');
    assert.ok(
      chip.readFlash(0x11000, 0x1000).every((b) => b === 0xff),
      'nothing written past the announced size',
    );
  });

  it('programming only clears bits: data written past the erased range is corrupted (old AND new)', async () => {
    chip = new VirtualChip({ chip: 'esp32c3', resetLines: false, bootLog: false });
    h = new TestHost(chip.transport());
    chip.preloadFlash(0x11000, new Uint8Array(0x1000).fill(0x0f));
    // BEGIN announces one block (erases 0x10000-0x10FFF) but the host sends 8 blocks.
    await h.command(OP.FLASH_BEGIN, words(0x400, 1, 0x400, 0x10000));
    const st = await sendBlocks(h, OP.FLASH_DATA, new Uint8Array(0x2000).fill(0x3c), 0x400);
    assert.ok(st.every((s) => s === '00000000'));
    assert.ok(chip.readFlash(0x10000, 0x1000).every((b) => b === 0x3c));
    assert.ok(
      chip.readFlash(0x11000, 0x1000).every((b) => b === (0x3c & 0x0f)),
      'unerased sector shows 0x0c',
    );
  });
});
