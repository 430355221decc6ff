import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import { CHIP_MAGIC_REG, CHIP_NAMES, ChipName, chipFacts } from '../../../src/core/chips';
import { VirtualChip, VirtualChipOptions } from '../../../src/sim/virtual_chip';
import { cat, dataRequest, hex, parseReply, Reply, request, sync, TestHost, words } from './sim_test_helpers';

const OP = {
  FLASH_BEGIN: 0x02,
  FLASH_DATA: 0x03,
  FLASH_END: 0x04,
  SYNC: 0x08,
  WRITE_REG: 0x09,
  READ_REG: 0x0a,
  SPI_SET_PARAMS: 0x0b,
  SPI_ATTACH: 0x0d,
  READ_FLASH_SLOW: 0x0e,
  CHANGE_BAUDRATE: 0x0f,
  DEFL_BEGIN: 0x10,
  SPI_FLASH_MD5: 0x13,
  GET_SECURITY_INFO: 0x14,
  ERASE_FLASH: 0xd0,
  READ_FLASH: 0xd2,
};

export function romSession(chip: ChipName, extra: Partial<VirtualChipOptions> = {}): { chip: VirtualChip; h: TestHost } {
  const c = new VirtualChip({ chip, resetLines: false, bootLog: false, ...extra });
  return { chip: c, h: new TestHost(c.transport()) };
}

function statusOf(r: Reply, statusLen: number): string {
  return hex(r.data.subarray(r.data.length - statusLen));
}

describe('virtual chip ROM loader, every chip', () => {
  for (const name of CHIP_NAMES) {
    const facts = chipFacts(name);
    const sl = facts.romStatusLength;
    const OK = '00'.repeat(sl);
    const romFail = (code: number): string => (sl === 4 ? `01${code.toString(16).padStart(2, '0')}0000` : `01${code.toString(16).padStart(2, '0')}`);

    describe(name, () => {
      let chip: VirtualChip;
      let h: TestHost;
      beforeEach(() => ({ chip, h } = romSession(name)));
      afterEach(() => chip.close());

      it(`answers SYNC with 8 identical replies, value 0x20120707, ${sl} status bytes`, async () => {
        const replies = await sync(h);
        assert.equal(replies.length, 8);
        for (const r of replies) {
          assert.equal(hex(r.raw), hex(replies[0].raw));
          assert.equal(r.dir, 1);
          assert.equal(r.op, OP.SYNC);
          assert.equal(r.value, 0x20120707);
          assert.equal(hex(r.data), OK);
        }
      });

      it('READ_REG 0x40001000 returns the chip magic value', async () => {
        const r = await h.command(OP.READ_REG, words(CHIP_MAGIC_REG));
        assert.equal(r.op, OP.READ_REG);
        assert.equal(r.value, facts.magicValues[0]);
        assert.equal(hex(r.data), OK);
      });

      it('MAC eFuse words give [w1>>8, w1, w0>>24, w0>>16, w0>>8, w0]', async () => {
        const w0 = (await h.command(OP.READ_REG, words(facts.efuse.macWord0))).value;
        const w1 = (await h.command(OP.READ_REG, words(facts.efuse.macWord0 + 4))).value;
        const mac = [w1 >> 8, w1, w0 >>> 24, w0 >> 16, w0 >> 8, w0].map((x) => x & 0xff);
        assert.deepEqual(mac, [...chip.mac]);
        assert.deepEqual(mac.slice(0, 3), [0x24, 0x0a, 0xc4]);
      });

      if (facts.securityInfo === 'none') {
        it('GET_SECURITY_INFO: "unsupported command" replies with another opcode and 01 05 (§1.3)', async () => {
          await h.send(request(OP.GET_SECURITY_INFO));
          const frames = (await h.frames(8, 500)).map(parseReply);
          assert.equal(frames.length, 8);
          for (const r of frames) {
            assert.notEqual(r.op, OP.GET_SECURITY_INFO);
            assert.equal(r.data[0], 0x01);
            assert.equal(r.data[1], 0x05);
          }
        });
      } else {
        const len = facts.securityInfo === 'full' ? 20 : 12;
        it(`GET_SECURITY_INFO returns ${len} bytes${len === 20 ? ' with the chip id at offset 12' : ' (no chip id)'}`, async () => {
          const r = await h.command(OP.GET_SECURITY_INFO);
          assert.equal(r.op, OP.GET_SECURITY_INFO);
          assert.equal(r.data.length, len + sl);
          assert.equal(statusOf(r, sl), OK);
          const dv = new DataView(r.data.buffer, r.data.byteOffset);
          assert.equal(dv.getUint32(0, true), 0, 'flags');
          assert.equal(r.data[4], 0, 'crypt counter');
          if (len === 20) assert.equal(dv.getUint32(12, true), facts.imageChipId);
        });
      }

      it('flash-ID through the SPI user-command registers: 0xEF, size id 0x16 for 4 MiB; CMD bit 18 reads back cleared', async () => {
        const s = facts.spi;
        const wr = (addr: number, value: number): Uint8Array => words(addr, value, 0xffffffff, 0);
        const groups = [wr(s.base + s.usr, (1 << 31) | (1 << 28)), wr(s.base + s.usr2, (7 << 28) | 0x9f), wr(s.base + s.w0, 0)];
        if (s.misoDlen !== undefined) groups.push(wr(s.base + s.misoDlen, 23));
        const w = await h.command(OP.WRITE_REG, cat(...groups));
        assert.equal(hex(w.data), OK);
        await h.command(OP.WRITE_REG, wr(s.base, 1 << 18));
        const cmd = await h.command(OP.READ_REG, words(s.base));
        assert.equal(cmd.value & (1 << 18), 0);
        const id = (await h.command(OP.READ_REG, words(s.base + s.w0))).value;
        assert.equal(id & 0xff, 0xef);
        assert.equal((id >> 16) & 0xff, 0x16);
      });

      it('data blocks > 0x400 are refused and nothing is written', async () => {
        await h.command(OP.FLASH_BEGIN, words(0x1000, 1, 0x1000, 0x10000));
        const r = await h.command(OP.FLASH_DATA, dataRequestBody(0, new Uint8Array(0x1000).fill(0x11)), checksumOf(new Uint8Array(0x1000).fill(0x11)));
        assert.equal(r.data[0], 0x01);
        assert.notEqual(r.data[1], 0x00);
        assert.ok(chip.readFlash(0x10000, 0x1000).every((b) => b === 0xff));
      });

      it('bad checksum on FLASH_DATA: status failed, error 0x07; nothing written', async () => {
        await h.command(OP.FLASH_BEGIN, words(0x400, 1, 0x400, 0x10000));
        await h.send(dataRequest(OP.FLASH_DATA, 0, new Uint8Array(0x400).fill(0x22), true));
        const r = parseReply((await h.frames(1))[0]);
        assert.equal(hex(r.data), romFail(0x07));
        assert.ok(chip.readFlash(0x10000, 0x400).every((b) => b === 0xff));
      });

      it('a block that fails its checksum uses up its sequence number (as the ESP32 and C3 ROMs do in QEMU): sent again it is refused with 0x05, the next number lands in its place', async () => {
        const a = new Uint8Array(0x400).fill(0x31);
        const b = new Uint8Array(0x400).fill(0x32);
        await h.command(OP.FLASH_BEGIN, words(0x800, 2, 0x400, 0x10000));
        await h.send(dataRequest(OP.FLASH_DATA, 0, a, true));
        assert.equal(hex(parseReply((await h.frames(1))[0]).data), romFail(0x07));
        await h.send(dataRequest(OP.FLASH_DATA, 0, a));
        assert.equal(hex(parseReply((await h.frames(1))[0]).data), romFail(0x05));
        await h.send(dataRequest(OP.FLASH_DATA, 1, b));
        assert.equal(hex(parseReply((await h.frames(1))[0]).data), OK);
        assert.equal(hex(chip.readFlash(0x10000, 0x400)), hex(b), "seq 1's data went where block 0 belonged");
        // A new BEGIN starts the count again, and the block goes where it belongs.
        await h.command(OP.FLASH_BEGIN, words(0x800, 2, 0x400, 0x10000));
        for (const [seq, d] of [a, b].entries()) {
          await h.send(dataRequest(OP.FLASH_DATA, seq, d));
          assert.equal(hex(parseReply((await h.frames(1))[0]).data), OK);
        }
        assert.equal(hex(chip.readFlash(0x10000, 0x800)), hex(cat(a, b)));
      });

      it('writes blocks of 0x400 as sent (last one padded with 0xFF) after erasing at FLASH_BEGIN', async () => {
        chip.preloadFlash(0x20000, new Uint8Array(0x2000).fill(0x00)); // stale data must be erased
        const image = new Uint8Array(crypto.randomBytes(0x500));
        const begin = await h.command(OP.FLASH_BEGIN, words(0x800, 2, 0x400, 0x20000));
        assert.equal(hex(begin.data), OK);
        assert.ok(
          chip.readFlash(0x20000, 0x1000).every((b) => b === 0xff),
          'sector erased at BEGIN',
        );
        for (let seq = 0; seq < 2; seq++) {
          const block = new Uint8Array(0x400).fill(0xff);
          block.set(image.subarray(seq * 0x400, seq * 0x400 + 0x400));
          await h.send(dataRequest(OP.FLASH_DATA, seq, block));
          assert.equal(hex(parseReply((await h.frames(1))[0]).data), OK);
        }
        assert.equal(hex(chip.readFlash(0x20000, 0x500)), hex(image));
        assert.ok(chip.readFlash(0x20500, 0xb00).every((b) => b === 0xff));
        assert.ok(
          chip.readFlash(0x21000, 0x1000).every((b) => b === 0x00),
          'sector outside BEGIN range untouched',
        );
      });

      it(`FLASH_BEGIN with a 5th (encrypted) word is ${facts.romEncryptedFlag ? 'accepted' : 'refused with 01 05 (§12)'}`, async () => {
        const r = await h.command(OP.FLASH_BEGIN, words(0x400, 1, 0x400, 0x30000, 0));
        assert.equal(hex(r.data), facts.romEncryptedFlag ? OK : romFail(0x05));
      });

      it('stub-only commands (ERASE_FLASH, READ_FLASH) get the "unsupported" reply', async () => {
        await h.send(request(OP.ERASE_FLASH));
        const frames = (await h.frames(8, 500)).map(parseReply);
        assert.ok(frames.length >= 1);
        assert.ok(frames.every((r) => r.op !== OP.ERASE_FLASH && r.data[0] === 1 && r.data[1] === 5));
        await h.drain(50);
        await h.send(request(OP.READ_FLASH, words(0, 16, 16, 1)));
        const f2 = (await h.frames(1, 500)).map(parseReply);
        assert.ok(f2[0].op !== OP.READ_FLASH && f2[0].data[1] === 5);
      });

      if (facts.romHasEsp32Commands) {
        it('SPI_FLASH_MD5 answers 32 ASCII hex characters then the status', async () => {
          chip.preloadFlash(0x3000, Uint8Array.from([1, 2, 3, 4]));
          const r = await h.command(OP.SPI_FLASH_MD5, words(0x3000, 0x1000, 0, 0));
          const expected = crypto.createHash('md5').update(chip.readFlash(0x3000, 0x1000)).digest('hex');
          assert.equal(r.data.length, 32 + sl);
          assert.equal(Buffer.from(r.data.subarray(0, 32)).toString('ascii'), expected);
          assert.equal(statusOf(r, sl), OK);
        });

        it('READ_FLASH_SLOW returns 64 bytes; > 64 refused', async () => {
          chip.preloadFlash(0x4000, Uint8Array.from([9, 8, 7, 6, 5]));
          const r = await h.command(OP.READ_FLASH_SLOW, words(0x4000, 5));
          assert.equal(r.data.length, 64 + sl);
          assert.equal(hex(r.data.subarray(0, 5)), '0908070605');
          const bad = await h.command(OP.READ_FLASH_SLOW, words(0x4000, 65));
          assert.equal(bad.data[0], 0x01);
        });

        it('SPI_ATTACH needs 8 bytes from the ROM; 4 are refused', async () => {
          assert.equal(hex((await h.command(OP.SPI_ATTACH, words(0, 0))).data), OK);
          assert.equal(hex((await h.command(OP.SPI_ATTACH, words(0))).data), romFail(0x05));
          assert.equal(hex((await h.command(OP.SPI_SET_PARAMS, words(0, 4 << 20, 0x10000, 0x1000, 0x100, 0xffff))).data), OK);
        });

        it('CHANGE_BAUDRATE answers at the old rate, then the chip runs at the new one', async () => {
          const r = await h.command(OP.CHANGE_BAUDRATE, words(460800, 0));
          assert.equal(hex(r.data), OK);
          assert.equal(chip.baud, 460800);
        });
      } else {
        it('ESP32-only commands (SPI_FLASH_MD5, FLASH_DEFL_BEGIN) are unsupported', async () => {
          await h.send(request(OP.SPI_FLASH_MD5, words(0, 16, 0, 0)));
          const f = (await h.frames(1, 500)).map(parseReply);
          assert.ok(f[0].op !== OP.SPI_FLASH_MD5 && f[0].data[1] === 5);
        });
      }

      it('FLASH_END leaves the loader (ROM runs the user code) and SYNC goes unanswered', async () => {
        const r = await h.command(OP.FLASH_END, words(1));
        assert.equal(hex(r.data), OK);
        assert.equal(chip.mode, 'firmware');
        await h.send(request(OP.SYNC, Uint8Array.from([0x07, 0x07, 0x12, 0x20, ...new Array<number>(32).fill(0x55)])));
        assert.equal((await h.frames(1, 50)).length, 0);
      });
    });
  }
});

function dataRequestBody(seq: number, payload: Uint8Array): Uint8Array {
  return cat(words(payload.length, seq, 0, 0), payload);
}

function checksumOf(payload: Uint8Array): number {
  let c = 0xef;
  for (const b of payload) c ^= b;
  return c;
}
