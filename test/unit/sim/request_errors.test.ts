import { strict as assert } from 'node:assert';
import { VirtualChip } from '../../../src/sim/virtual_chip';
import { cat, enterStub, hex, request, TestHost, words } from './sim_test_helpers';

/** [opcode, data, expected ROM status, expected stub status] for malformed or out-of-range requests. */
const CASES: [string, number, Uint8Array, string, string][] = [
  ['READ_REG with 8 bytes', 0x0a, words(0x40001000, 0), '01050000', 'c000'],
  ['WRITE_REG with 12 bytes', 0x09, words(0x3ff00000, 1, 0xffffffff), '01050000', 'c000'],
  ['SPI_SET_PARAMS with 20 bytes', 0x0b, words(0, 4 << 20, 0x10000, 0x1000, 0x100), '01050000', 'c000'],
  ['CHANGE_BAUDRATE to 0 baud', 0x0f, words(0, 0), '01010000', 'c000'],
  ['CHANGE_BAUDRATE with 4 bytes', 0x0f, words(460800), '01050000', 'c000'],
  ['SPI_FLASH_MD5 past the end of flash', 0x13, words(0x3ff000, 0x2000, 0, 0), '01090000', 'c400'],
  ['FLASH_BEGIN past the end of flash', 0x02, words(0x2000, 2, 0x1000, 0x3ff000), '01010000', 'c000'],
  ['FLASH_BEGIN with 12 bytes', 0x02, words(0x1000, 1, 0x1000), '01050000', 'c000'],
  ['FLASH_END with no data', 0x04, new Uint8Array(0), '01050000', 'c000'],
  ['MEM_BEGIN with 8 bytes', 0x05, words(0x100, 1), '01050000', 'c000'],
  ['MEM_END with 4 bytes', 0x06, words(0), '01050000', 'c000'],
  ['FLASH_DATA shorter than its header', 0x03, words(16, 0), '01050000', 'c000'],
  ['FLASH_DATA whose length field disagrees', 0x03, cat(words(32, 0, 0, 0), new Uint8Array(16)), '01050000', 'c000'],
  ['MEM_DATA before MEM_BEGIN', 0x07, cat(words(16, 0, 0, 0), new Uint8Array(16)), '01010000', 'c600'],
];

describe('virtual chip: malformed and out-of-range requests (ROM 01 xx, stub Cx 00)', () => {
  for (const [what, op, data, rom, stub] of CASES) {
    it(`${what}: ROM ${rom}, stub ${stub}`, async () => {
      const chip = new VirtualChip({ chip: 'esp32c3', resetLines: false, bootLog: false });
      const h = new TestHost(chip.transport());
      try {
        const cs = op === 0x03 || op === 0x07 ? checksumAfterHeader(data) : 0;
        const r1 = await h.command(op, data, cs);
        assert.equal(r1.op, op);
        assert.equal(hex(r1.data), rom);
        await enterStub(h);
        const r2 = await h.command(op, data, cs);
        assert.equal(r2.op, op);
        assert.equal(hex(r2.data), stub);
      } finally {
        chip.close();
      }
    });
  }

  it('stub READ_FLASH with packet size 0 or past the flash end; ERASE_REGION past the end (legacy raw 0x35)', async () => {
    const chip = new VirtualChip({ chip: 'esp32c6', resetLines: false, bootLog: false, stub: 'legacy' });
    const h = new TestHost(chip.transport());
    try {
      await enterStub(h);
      assert.equal(hex((await h.command(0xd2, words(0, 0x100, 0, 1))).data), 'c000');
      assert.equal(hex((await h.command(0xd2, words(0x3ff000, 0x2000, 0x1000, 1))).data), 'c400');
      assert.equal(hex((await h.command(0xd1, words(0x3ff000, 0x2000))).data), '3500');
    } finally {
      chip.close();
    }
  });

  it('exact wire bytes: ROM READ_REG reply and stub MD5 reply as SLIP frames', async () => {
    const chip = new VirtualChip({ chip: 'esp32', resetLines: false, bootLog: false });
    const h = new TestHost(chip.transport());
    try {
      await h.t.write(request(0x0a, words(0x40001000)));
      assert.equal(hex(await h.t.read(100)), 'c0010a0400831df00000000000c0');
      await enterStub(h);
      chip.preloadFlash(0, new Uint8Array(0x1000).fill(0));
      await h.t.write(request(0x13, words(0, 0x1000, 0, 0)));
      // MD5 of 4096 zero bytes = 620f0b67a91f7f74151bc5be745b7110; no 0xC0/0xDB inside, so no escapes.
      assert.equal(hex(await h.t.read(100)), 'c00113120000000000620f0b67a91f7f74151bc5be745b71100000c0');
    } finally {
      chip.close();
    }
  });

  it('a reply containing 0xC0/0xDB is escaped on the wire', async () => {
    const chip = new VirtualChip({ chip: 'esp32', resetLines: false, bootLog: false });
    const h = new TestHost(chip.transport());
    try {
      await h.command(0x09, words(0x3ffe0000, 0xc0dbc0db, 0xffffffff, 0));
      await h.t.write(request(0x0a, words(0x3ffe0000)));
      // 0xC0DBC0DB goes out LE as db c0 db c0, escaped db dd db dc db dd db dc.
      assert.equal(hex(await h.t.read(100)), 'c0010a0400dbdddbdcdbdddbdc00000000c0');
      const r = await h.command(0x0a, words(0x3ffe0000));
      assert.equal(r.value, 0xc0dbc0db);
    } finally {
      chip.close();
    }
  });
});

function checksumAfterHeader(data: Uint8Array): number {
  let c = 0xef;
  for (const b of data.subarray(16)) c ^= b;
  return c;
}
