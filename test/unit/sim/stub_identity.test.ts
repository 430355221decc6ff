import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { chipFacts, type ChipName } from '../../../src/core/chips';
import { loadStub, type StubImage } from '../../../src/core/protocol/stub_images';
import { VirtualChip, type VirtualChipOptions } from '../../../src/sim/virtual_chip';
import { OP } from '../../../src/sim/loader_packets';
import { dataRequest, hex, parseReply, request, sharedDir, sync, TestHost, words } from './sim_test_helpers';

/** ROM status: 4 bytes on most chips, 2 on the ESP8266; all zero when OK. */
const ok = (r: { data: Uint8Array }) => r.data.every((b) => b === 0);

/** Upload a stub image as a host does (MEM_BEGIN/DATA per segment, MEM_END with the entry) and wait for OHAI. */
async function upload(h: TestHost, stub: Pick<StubImage, 'text' | 'textStart' | 'data' | 'dataStart' | 'entry'>): Promise<void> {
  const segs: [Uint8Array, number][] = [[stub.text, stub.textStart]];
  if (stub.data && stub.dataStart !== undefined) segs.push([stub.data, stub.dataStart]);
  for (const [bytes, addr] of segs) {
    const blocks = Math.ceil(bytes.length / 0x1800);
    assert.ok(ok(await h.command(OP.MEM_BEGIN, words(bytes.length, blocks, 0x1800, addr))));
    for (let seq = 0; seq < blocks; seq++) {
      await h.send(dataRequest(OP.MEM_DATA, seq, bytes.subarray(seq * 0x1800, (seq + 1) * 0x1800)));
      assert.ok(ok(parseReply((await h.frames(1))[0])));
    }
  }
  await h.send(request(OP.MEM_END, words(0, stub.entry)));
  const [, ohai] = await h.frames(2);
  assert.equal(Buffer.from(ohai).toString('ascii'), 'OHAI');
}

describe('virtual chip runs the stub it was sent (recognised by its image)', () => {
  let chip: VirtualChip | undefined;
  afterEach(() => chip?.close());
  const start = async (name: ChipName, o: Partial<VirtualChipOptions> = {}) => {
    chip = new VirtualChip({ chip: name, resetLines: false, bootLog: false, ...o });
    const h = new TestHost(chip.transport());
    await sync(h);
    return h;
  };

  it("esptool-js 0.7.0's esp32 stub runs as esp-flasher-stub, whatever the chip's setting for unknown code", async () => {
    const h = await start('esp32', { stub: 'legacy' });
    await upload(h, loadStub(chipFacts('esp32')));
    assert.deepEqual(chip!.runningStub, { model: 'current', known: true });
    // 5-word FLASH_DEFL_BEGIN (what esptool 4.12 and ESP Flasher send) is taken; 0xD4 is not.
    assert.equal(hex((await h.command(OP.FLASH_DEFL_BEGIN, words(0x100, 1, 0x4000, 0x10000, 0))).data), '0000');
    await h.send(dataRequest(OP.FLASH_ENCRYPT_DATA, 0, new Uint8Array(16)));
    assert.equal(hex(parseReply((await h.frames(1))[0]).data), 'c300');
  });

  it('an image it does not know behaves as the chip is set for unknown code (default esp-flasher-stub)', async () => {
    const fake = { text: new Uint8Array(64).fill(0x13), textStart: 0x40080000, entry: 0x40080000 };
    let h = await start('esp32c3');
    await upload(h, fake);
    assert.deepEqual(chip!.runningStub, { model: 'current', known: false });
    chip!.close();
    h = await start('esp32c3', { stub: 'legacy' });
    await upload(h, fake);
    assert.deepEqual(chip!.runningStub, { model: 'legacy', known: false });
    assert.equal(hex((await h.command(OP.FLASH_BEGIN, words(0, 0, 0x4000, 0, 0))).data), 'c000');
  });

  const shared = sharedDir();
  const set1 = shared && path.join(shared, 'qemu', 'stubs-esptool-4.12', '1');
  it("esptool 4.12's legacy stub (set 1, v1.11.1) runs as the legacy stub v1.10+: 20-byte BEGIN, 0xD4, 0xFF00 for unknown", async function () {
    if (!set1 || !fs.existsSync(set1)) {
      console.log('      shared esptool 4.12 stubs not present: skipped');
      this.skip();
    }
    const h = await start('esp32c3', { encryption: 'development' });
    await upload(h, loadStub(chipFacts('esp32c3'), set1));
    assert.deepEqual(chip!.runningStub, { model: 'legacy-1.10', known: true });
    assert.equal(hex((await h.command(OP.FLASH_BEGIN, words(0x10, 1, 0x4000, 0x10000, 1))).data), '0000');
    assert.equal(hex((await h.command(OP.READ_FLASH_SLOW, words(0, 16))).data), 'ff00');
    assert.equal(hex((await h.command(OP.FLASH_BEGIN, words(0x10, 1, 0x8000, 0x10000))).data), 'c200');
  });

  it('esp-flasher-stub: a failed background write answers the next command, which is not executed', async () => {
    const h = await start('esp32c3');
    await upload(h, loadStub(chipFacts('esp32c3')));
    // 32 bytes announced, a block whose inflate fails: the ACK is OK, the failure comes with the next command.
    assert.equal(hex((await h.command(OP.FLASH_DEFL_BEGIN, words(32, 1, 0x4000, 0x10000))).data), '0000');
    await h.send(dataRequest(OP.FLASH_DEFL_DATA, 0, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8])));
    assert.equal(hex(parseReply((await h.frames(1))[0]).data), '0000');
    const r = await h.command(OP.READ_REG, words(0x40001000));
    assert.equal(hex(r.data), 'c700');
    assert.equal(r.value, 0, 'the READ_REG was answered with the error, not executed');
    assert.equal((await h.command(OP.READ_REG, words(0x40001000))).value, chip!.chip.magicValues[0]);
  });
});
