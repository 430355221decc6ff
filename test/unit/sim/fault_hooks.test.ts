import { strict as assert } from 'node:assert';
import { VirtualChip } from '../../../src/sim/virtual_chip';
import { dataRequest, enterStub, hex, parseReply, request, sync, SYNC_DATA, TestHost, words } from './sim_test_helpers';

const READ_REG = 0x0a;
const MAGIC = 0x40001000;

describe('virtual chip fault hooks', () => {
  let chip: VirtualChip;
  let h: TestHost;
  beforeEach(() => {
    chip = new VirtualChip({ chip: 'esp32c3', resetLines: false, bootLog: false });
    h = new TestHost(chip.transport());
  });
  afterEach(() => chip.close());

  it('drops the nth incoming frame of an opcode (never processed)', async () => {
    chip.faults.dropFrame({ direction: 'in', nth: 2, opcode: READ_REG });
    assert.equal((await h.command(READ_REG, words(MAGIC))).op, READ_REG);
    await h.send(request(READ_REG, words(MAGIC)));
    assert.equal((await h.frames(1, 50)).length, 0);
    assert.equal((await h.command(READ_REG, words(MAGIC))).op, READ_REG);
    assert.equal(chip.stats.perOpcode[READ_REG], 2);
  });

  it('drops the next outgoing reply (processed, but the host never hears)', async () => {
    chip.faults.dropFrame({ direction: 'out' });
    await h.send(request(READ_REG, words(MAGIC)));
    assert.equal((await h.frames(1, 50)).length, 0);
    assert.equal(chip.stats.perOpcode[READ_REG], 1);
  });

  it('corrupting an incoming data frame gives a checksum error; an outgoing one changes the reply opcode', async () => {
    await h.command(0x02, words(0x400, 1, 0x400, 0x10000, 0));
    chip.faults.corruptFrame({ direction: 'in', opcode: 0x03 });
    await h.send(dataRequest(0x03, 0, new Uint8Array(0x400).fill(0x11)));
    assert.equal(hex(parseReply((await h.frames(1))[0]).data), '01070000');
    chip.faults.corruptFrame({ direction: 'out' });
    const r = await h.command(READ_REG, words(MAGIC));
    assert.equal(r.op, READ_REG ^ 0x01);
  });

  it('stalls for N ms (frames during the stall are lost), then answers again', async () => {
    chip.faults.stall(150);
    await h.send(request(READ_REG, words(MAGIC)));
    assert.equal((await h.frames(1, 50)).length, 0);
    await new Promise((r) => setTimeout(r, 150));
    assert.equal((await h.command(READ_REG, words(MAGIC))).value, chip.chip.magicValues[0]);
  });

  it('stalls forever from the nth frame of an opcode until resume()', async () => {
    await enterStub(h);
    chip.faults.stall(undefined, { opcode: 0x03, nth: 2 });
    await h.command(0x02, words(0x8000, 2, 0x4000, 0x10000));
    await h.send(dataRequest(0x03, 0, new Uint8Array(0x4000)));
    assert.equal((await h.frames(1)).length, 1);
    await h.send(dataRequest(0x03, 1, new Uint8Array(0x4000)));
    assert.equal((await h.frames(1, 50)).length, 0);
    await h.send(request(0x08, SYNC_DATA));
    assert.equal((await h.frames(1, 50)).length, 0);
    chip.faults.resume();
    assert.equal((await sync(h)).length, 8);
  });

  it('answers a given opcode with an error status (ROM and stub forms), a limited number of times', async () => {
    chip.faults.failOpcode(READ_REG, { rom: 0x05, times: 1 });
    assert.equal(hex((await h.command(READ_REG, words(MAGIC))).data), '01050000');
    assert.equal(hex((await h.command(READ_REG, words(MAGIC))).data), '00000000');
    await enterStub(h);
    chip.faults.failOpcode(0x13, { stub: 0xc100 });
    assert.equal(hex((await h.command(0x13, words(0, 16, 0, 0))).data), 'c100');
    assert.equal(hex((await h.command(0x13, words(0, 16, 0, 0))).data), 'c100');
    chip.faults.clear();
    assert.equal((await h.command(0x13, words(0, 16, 0, 0))).data.length, 18);
  });

  it('disconnects at byte N: reads and writes then fail with a clear error', async () => {
    const frame = request(READ_REG, words(MAGIC));
    chip.faults.disconnectAtByte(frame.length + 3);
    assert.equal((await h.command(READ_REG, words(MAGIC))).op, READ_REG);
    await h.send(frame);
    assert.ok(chip.disconnected);
    await assert.rejects(h.t.read(100), /device disconnected/);
    await assert.rejects(h.t.write(frame), /device disconnected/);
  });

  it('refuses a baud change: silently (OK, old rate kept) or with an error status', async () => {
    chip.faults.refuseBaudChange('silent');
    assert.equal(hex((await h.command(0x0f, words(460800, 0))).data), '00000000');
    assert.equal(chip.baud, 115200);
    chip.faults.refuseBaudChange('error');
    assert.equal(hex((await h.command(0x0f, words(460800, 0))).data), '01010000');
    assert.equal(chip.baud, 115200);
  });
});
