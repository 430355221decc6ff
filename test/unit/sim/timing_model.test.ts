import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import { DATASHEET_TIMINGS, wireMs } from '../../../src/sim/timing_model';
import { VirtualChip } from '../../../src/sim/virtual_chip';
import { dataRequest, enterStub, parseReply, request, sync, SYNC_DATA, TestHost, words } from './sim_test_helpers';

const now = (): number => performance.now();

describe('virtual chip timing model', function () {
  this.timeout(20000);
  let chip: VirtualChip;
  let h: TestHost;
  afterEach(() => chip?.close());

  it('uses the W25Q32JV typical figures by default', () => {
    const { eraseSectorMs, eraseBlockMs, programPageMs, chipEraseMsPerMiB, replyLatencyMs } = DATASHEET_TIMINGS;
    assert.deepEqual(
      { eraseSectorMs, eraseBlockMs, programPageMs, chipEraseMsPerMiB, replyLatencyMs },
      { eraseSectorMs: 45, eraseBlockMs: 150, programPageMs: 0.4, chipEraseMsPerMiB: 2500, replyLatencyMs: 0 },
    );
    assert.equal(wireMs(11520, 115200), 1000);
  });

  it('off by default: a SYNC round trip takes no modelled wire time; on: ≥ 10 bit times per byte both ways', async () => {
    chip = new VirtualChip({ chip: 'esp32', resetLines: false, bootLog: false });
    h = new TestHost(chip.transport());
    // At 9600 baud the SYNC exchange would take ≈ 500 ms on the wire; with timing off it does not.
    await h.t.setBaudRate(9600);
    let t = now();
    const off = await sync(h);
    assert.equal(off.length, 8);
    assert.ok(now() - t < 250, `${(now() - t).toFixed(0)} ms with timing off`);
    chip.close();
    chip = new VirtualChip({ chip: 'esp32', resetLines: false, bootLog: false, timing: true });
    h = new TestHost(chip.transport());
    t = now();
    const replies = await sync(h);
    const elapsed = now() - t;
    const bytes = request(0x08, SYNC_DATA).length + replies.reduce((a, r) => a + r.raw.length + 2, 0);
    assert.ok(elapsed >= wireMs(bytes, 115200) - 1, `${elapsed.toFixed(1)} ms for ${bytes} bytes`);
  });

  it('replyLatencyMs delays every reply; unknown timing options are refused', async () => {
    chip = new VirtualChip({ chip: 'esp32h2', resetLines: false, bootLog: false, timing: { replyLatencyMs: 60 } });
    h = new TestHost(chip.transport());
    const t = now();
    await h.command(0x0a, words(0x40001000));
    assert.ok(now() - t >= 60);
    assert.throws(() => new VirtualChip({ chip: 'esp32', timing: { eraseSectroMs: 1 } as never }), /Unknown timing option "eraseSectroMs"/);
  });

  it('ROM: FLASH_BEGIN answers only after erasing (64 KiB block erase)', async () => {
    chip = new VirtualChip({ chip: 'esp32c3', resetLines: false, bootLog: false, timing: { eraseBlockMs: 120 } });
    h = new TestHost(chip.transport());
    const t = now();
    await h.command(0x02, words(0x10000, 64, 0x400, 0x10000, 0), 0, 2000);
    assert.ok(now() - t >= 120, `answered after ${(now() - t).toFixed(0)} ms`);
    assert.equal(chip.stats.blocksErased, 1);
    assert.equal(chip.stats.eraseMs, 120);
  });

  it('stub: ACKs a block before writing it; the next command waits for the write to finish', async () => {
    chip = new VirtualChip({ chip: 'esp32c3', resetLines: false, bootLog: false, timing: { eraseSectorMs: 300 } });
    h = new TestHost(chip.transport());
    await enterStub(h);
    await h.command(0x0f, words(4_000_000, 115200));
    await h.t.setBaudRate(4_000_000);
    await h.command(0x02, words(0x4000, 1, 0x4000, 0x11000)); // not 64 KiB aligned: 4 sector erases = 1.2 s
    const t0 = now();
    await h.send(dataRequest(0x03, 0, new Uint8Array(0x4000)));
    const [ack] = await h.frames(1, 3000);
    const tAck = now() - t0;
    assert.equal(parseReply(ack).data[0], 0);
    assert.ok(tAck < 600, `ACK after ${tAck.toFixed(0)} ms (wire time only)`);
    const r = await h.command(0x0a, words(0x40001000), 0, 3000);
    const tNext = now() - t0;
    assert.equal(r.op, 0x0a);
    assert.ok(tNext >= 1200, `next reply after ${tNext.toFixed(0)} ms (write of 4 sectors must finish first)`);
  });

  it('stub at 921600: 64 KiB of incompressible data takes at least the wire time (honest throughput)', async () => {
    chip = new VirtualChip({ chip: 'esp32s3', resetLines: false, bootLog: false, timing: true });
    h = new TestHost(chip.transport());
    await enterStub(h);
    await h.command(0x0f, words(921600, 115200));
    await h.t.setBaudRate(921600);
    const size = 0x10000;
    const data = new Uint8Array(crypto.randomBytes(size));
    await h.command(0x02, words(size, 4, 0x4000, 0x100000));
    const t = now();
    for (let seq = 0; seq < 4; seq++) {
      await h.send(dataRequest(0x03, seq, data.subarray(seq * 0x4000, seq * 0x4000 + 0x4000)));
      await h.frames(1, 3000);
    }
    await h.command(0x04, words(1), 0, 3000);
    const s = (now() - t) / 1000;
    const lineLimit = (size * 10) / 921600;
    assert.ok(s >= lineLimit, `${s.toFixed(3)} s < line limit ${lineLimit.toFixed(3)} s`);
    assert.ok(s < lineLimit * 1.6, `${s.toFixed(3)} s is far above the line limit ${lineLimit.toFixed(3)} s`);
    assert.ok(Buffer.from(chip.readFlash(0x100000, size)).equals(Buffer.from(data)));
  });
});
