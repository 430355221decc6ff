import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import { CHIP_MAGIC_REG, CHIP_NAMES, chipFacts, ChipName } from '../../../src/core/chips';
import { VirtualChip, VirtualChipOptions } from '../../../src/sim/virtual_chip';
import { cat, dataRequest, enterStub, hex, parseReply, request, sync, TestHost, words } from './sim_test_helpers';

const OP = {
  FLASH_BEGIN: 0x02,
  FLASH_DATA: 0x03,
  FLASH_END: 0x04,
  MEM_END: 0x06,
  READ_REG: 0x0a,
  SPI_ATTACH: 0x0d,
  READ_FLASH_SLOW: 0x0e,
  CHANGE_BAUDRATE: 0x0f,
  DEFL_BEGIN: 0x10,
  SPI_FLASH_MD5: 0x13,
  GET_SECURITY_INFO: 0x14,
  ERASE_FLASH: 0xd0,
  ERASE_REGION: 0xd1,
  READ_FLASH: 0xd2,
  RUN_USER_CODE: 0xd3,
  ENCRYPT_DATA: 0xd4,
};

async function stubSession(chip: ChipName, extra: Partial<VirtualChipOptions> = {}): Promise<{ chip: VirtualChip; h: TestHost }> {
  const c = new VirtualChip({ chip, resetLines: false, bootLog: false, ...extra });
  const h = new TestHost(c.transport());
  await enterStub(h);
  return { chip: c, h };
}

describe('virtual chip flasher stub, every chip', () => {
  for (const name of CHIP_NAMES) {
    const facts = chipFacts(name);
    describe(name, () => {
      let chip: VirtualChip;
      let h: TestHost;
      beforeEach(async () => ({ chip, h } = await stubSession(name)));
      afterEach(() => chip.close());

      it('after MEM_END with an entry point: OHAI, then 2 status bytes and SYNC value 0 (8 replies)', async () => {
        assert.ok(chip.inStub);
        const replies = await sync(h);
        assert.equal(replies.length, 8);
        for (const r of replies) {
          assert.equal(r.value, 0);
          assert.equal(hex(r.data), '0000');
        }
        const magic = await h.command(OP.READ_REG, words(CHIP_MAGIC_REG));
        assert.equal(magic.value, facts.magicValues[0]);
        assert.equal(hex(magic.data), '0000');
      });

      it('SPI_FLASH_MD5 answers 16 raw bytes', async () => {
        chip.preloadFlash(0x1000, Uint8Array.from([1, 2, 3]));
        const r = await h.command(OP.SPI_FLASH_MD5, words(0x1000, 0x2000, 0, 0));
        assert.equal(hex(r.data), crypto.createHash('md5').update(chip.readFlash(0x1000, 0x2000)).digest('hex') + '0000');
      });

      it(`GET_SECURITY_INFO ${facts.securityInfo === 'none' ? 'fails' : 'answers like the ROM'}`, async () => {
        const r = await h.command(OP.GET_SECURITY_INFO);
        assert.equal(r.op, OP.GET_SECURITY_INFO);
        if (facts.securityInfo === 'none') assert.equal(hex(r.data), 'ff00');
        else assert.equal(r.data.length, (facts.securityInfo === 'full' ? 20 : 12) + 2);
      });

      it('takes 0x4000-byte blocks, refuses 0x4001 (0xC200) and bad checksums (0xC100)', async () => {
        const data = new Uint8Array(crypto.randomBytes(0x4000));
        assert.equal(hex((await h.command(OP.FLASH_BEGIN, words(0x4000, 1, 0x4000, 0x40000))).data), '0000');
        await h.send(dataRequest(OP.FLASH_DATA, 0, new Uint8Array(0x4001)));
        assert.equal(hex(parseReply((await h.frames(1))[0]).data), 'c200');
        await h.send(dataRequest(OP.FLASH_DATA, 0, data, true));
        assert.equal(hex(parseReply((await h.frames(1))[0]).data), 'c100');
        await h.send(dataRequest(OP.FLASH_DATA, 0, data));
        assert.equal(hex(parseReply((await h.frames(1))[0]).data), '0000');
        assert.equal(hex((await h.command(OP.FLASH_END, words(1))).data), '0000');
        assert.equal(hex(chip.readFlash(0x40000, 0x4000)), hex(data));
        assert.ok(chip.inStub, 'FLASH_END 1 keeps the stub running');
      });

      it('READ_FLASH: OK, raw data frames acknowledged by byte count, max in flight respected, MD5 last', async () => {
        const content = new Uint8Array(crypto.randomBytes(0x2800));
        chip.preloadFlash(0x8000, content);
        await h.send(request(OP.READ_FLASH, words(0x8000, content.length, 0x1000, 2)));
        const first = await h.frames(3, 500);
        assert.equal(first.length, 3, 'reply + 2 packets');
        assert.equal(hex(parseReply(first[0]).data), '0000');
        assert.equal(first[1].length, 0x1000);
        assert.equal((await h.frames(1, 50)).length, 0, 'no third packet before an ack');
        const got = [first[1], first[2]];
        await h.send(cat([0xc0], words(0x1000), [0xc0]));
        got.push(...(await h.frames(1)));
        assert.equal(got[2].length, 0x800, 'last packet is short');
        await h.send(cat([0xc0], words(0x2000), [0xc0]));
        assert.equal((await h.frames(1, 50)).length, 0, 'no MD5 before everything is acknowledged');
        await h.send(cat([0xc0], words(0x2800), [0xc0]));
        const [md5] = await h.frames(1);
        assert.equal(hex(Buffer.concat(got)), hex(content));
        assert.equal(hex(md5), crypto.createHash('md5').update(content).digest('hex'));
      });

      it('ERASE_FLASH and ERASE_REGION erase; FLASH_DATA before BEGIN is 0xC600', async () => {
        chip.preloadFlash(0, new Uint8Array(0x3000));
        assert.equal(hex((await h.command(OP.ERASE_REGION, words(0x1000, 0x1000))).data), '0000');
        assert.ok(chip.readFlash(0x1000, 0x1000).every((b) => b === 0xff));
        assert.ok(chip.readFlash(0x0, 0x1000).every((b) => b === 0x00));
        assert.equal(hex((await h.command(OP.ERASE_FLASH)).data), '0000');
        assert.ok(chip.readFlash(0, chip.flashSize).every((b) => b === 0xff));
        await h.send(dataRequest(OP.FLASH_DATA, 0, new Uint8Array(16)));
        assert.equal(hex(parseReply((await h.frames(1))[0]).data), 'c600');
      });

      it('RUN_USER_CODE sends no reply and leaves the loader', async () => {
        await h.send(request(OP.RUN_USER_CODE));
        assert.equal((await h.frames(1, 50)).length, 0);
        assert.equal(chip.mode, 'firmware');
      });
    });
  }
});

describe('virtual chip stub generations', () => {
  let chip: VirtualChip;
  let h: TestHost;
  afterEach(() => chip.close());

  it('legacy: 20-byte FLASH_BEGIN and FLASH_DEFL_BEGIN are refused with 0xC000', async () => {
    ({ chip, h } = await stubSession('esp32c3', { stub: 'legacy' }));
    assert.equal(hex((await h.command(OP.FLASH_BEGIN, words(0, 0, 0x4000, 0, 0))).data), 'c000');
    assert.equal(hex((await h.command(OP.DEFL_BEGIN, words(0x100, 1, 0x4000, 0x10000, 0))).data), 'c000');
    assert.equal(hex((await h.command(OP.FLASH_BEGIN, words(0, 0, 0x4000, 0))).data), '0000');
  });

  it('current: 20-byte BEGINs accepted, 0xD4 answered 0xC300, unknown commands 0xC300', async () => {
    ({ chip, h } = await stubSession('esp32c3', { stub: 'current' }));
    assert.equal(hex((await h.command(OP.FLASH_BEGIN, words(0x10, 1, 0x4000, 0x10000, 0))).data), '0000');
    await h.send(dataRequest(OP.ENCRYPT_DATA, 0, new Uint8Array(16)));
    assert.equal(hex(parseReply((await h.frames(1))[0]).data), 'c300');
    assert.equal(hex((await h.command(OP.READ_FLASH_SLOW, words(0, 16))).data), 'c300');
  });

  it('legacy: ROM-only READ_FLASH_SLOW is "not implemented" 0xFF00; SPI_ATTACH takes exactly 4 bytes', async () => {
    ({ chip, h } = await stubSession('esp32s3', { stub: 'legacy' }));
    assert.equal(hex((await h.command(OP.READ_FLASH_SLOW, words(0, 16))).data), 'ff00');
    assert.equal(hex((await h.command(OP.SPI_ATTACH, words(0))).data), '0000');
    assert.equal(hex((await h.command(OP.SPI_ATTACH, words(0, 0))).data), 'c000');
  });

  it('ERASE_REGION misaligned: legacy raw 0x32 / 0x33, current 0xC000', async () => {
    ({ chip, h } = await stubSession('esp32', { stub: 'legacy' }));
    assert.equal(hex((await h.command(OP.ERASE_REGION, words(0x1001, 0x1000))).data), '3200');
    assert.equal(hex((await h.command(OP.ERASE_REGION, words(0x1000, 0x1001))).data), '3300');
    chip.close();
    ({ chip, h } = await stubSession('esp32', { stub: 'current' }));
    assert.equal(hex((await h.command(OP.ERASE_REGION, words(0x1001, 0x1000))).data), 'c000');
  });

  it('FLASH_END before all announced bytes: legacy 0xC800, current 0xC000', async () => {
    for (const stub of ['legacy', 'current'] as const) {
      ({ chip, h } = await stubSession('esp32c6', { stub }));
      await h.command(OP.FLASH_BEGIN, words(0x8000, 2, 0x4000, 0x10000));
      await h.send(dataRequest(OP.FLASH_DATA, 0, new Uint8Array(0x4000)));
      await h.frames(1);
      assert.equal(hex((await h.command(OP.FLASH_END, words(1))).data), stub === 'legacy' ? 'c800' : 'c000', stub);
      chip.close();
    }
    ({ chip, h } = await stubSession('esp32c6'));
  });

  it('trims the last block to the size announced at BEGIN (the ROM would write it whole)', async () => {
    ({ chip, h } = await stubSession('esp32s2'));
    chip.preloadFlash(0x11000, new Uint8Array(0x1000).fill(0x5a));
    await h.command(OP.FLASH_BEGIN, words(0x100, 1, 0x4000, 0x10000));
    await h.send(dataRequest(OP.FLASH_DATA, 0, new Uint8Array(0x4000).fill(0x00)));
    assert.equal(hex(parseReply((await h.frames(1))[0]).data), '0000');
    assert.equal(hex((await h.command(OP.FLASH_END, words(1))).data), '0000');
    assert.ok(chip.readFlash(0x10000, 0x100).every((b) => b === 0x00));
    assert.ok(chip.readFlash(0x10100, 0xf00).every((b) => b === 0xff));
    assert.ok(chip.readFlash(0x11000, 0x1000).every((b) => b === 0x5a));
  });

  it('FLASH_END 0 reboots: back in the ROM (no reset lines: download mode again)', async () => {
    ({ chip, h } = await stubSession('esp32h2'));
    assert.equal(hex((await h.command(OP.FLASH_END, words(0))).data), '0000');
    assert.equal(chip.inStub, false);
    assert.equal(chip.mode, 'download');
    const replies = await sync(h);
    assert.equal(replies[0].value, 0x20120707);
  });

  it('CHANGE_BAUDRATE in the stub switches after the reply', async () => {
    ({ chip, h } = await stubSession('esp32c2'));
    assert.equal(hex((await h.command(OP.CHANGE_BAUDRATE, words(921600, 115200))).data), '0000');
    assert.equal(chip.baud, 921600);
    await h.t.setBaudRate(921600);
    const replies = await sync(h);
    assert.equal(replies.length, 8);
  });

  it('MEM_END with flag 1 (no entry) does not start the stub', async () => {
    chip = new VirtualChip({ chip: 'esp32', resetLines: false, bootLog: false });
    h = new TestHost(chip.transport());
    const r = await h.command(OP.MEM_END, words(1, 0));
    assert.equal(hex(r.data), '00000000');
    assert.equal((await h.frames(1, 50)).length, 0);
    assert.equal(chip.inStub, false);
  });
});
