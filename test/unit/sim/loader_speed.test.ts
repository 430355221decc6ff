/** The virtual chip's model of the loader's own work: SPI_FLASH_MD5, READ_FLASH, MEM_DATA. */
import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import { defaultTimings, flashReadMs, LOADER_SPEEDS, loaderSpeedTimings, md5Ms, ramLoadMs, resolveTimings } from '../../../src/sim/timing_model';
import { VirtualChip } from '../../../src/sim/virtual_chip';
import { dataRequest, enterStub, hex, parseReply, slip, TestHost, words } from './sim_test_helpers';

const MiB = 1024 * 1024;
const now = (): number => performance.now();

describe('virtual chip loader speed model (MD5, flash reads, RAM loads)', function () {
  this.timeout(20000);
  let chip: VirtualChip | undefined;
  afterEach(() => {
    chip?.close();
    chip = undefined;
  });

  it('derives the rates from clock figures: 40 MHz DIO reads in 64-byte transactions, 17 cycles per MD5 byte', () => {
    const t = loaderSpeedTimings('esp32');
    // (64 × 8 / 2 + 52) clocks per 64 bytes at 40 MHz; 40 MHz / 17 cycles per byte.
    assert.equal(t.flashReadBytesPerMs.toFixed(1), ((64 * 40000) / 308).toFixed(1));
    assert.equal(t.md5BytesPerMs.toFixed(1), (40000 / 17).toFixed(1));
    assert.equal(t.ramLoadBytesPerMs, 10000);
    const ms = md5Ms(MiB, defaultTimings('esp32'));
    assert.ok(ms > 500 && ms < 650, `1 MiB MD5 = ${ms.toFixed(0)} ms`);
    // A slower crystal hashes slower: H2 runs from 32 MHz.
    assert.equal(LOADER_SPEEDS.esp32h2.cpuMHz, 32);
    assert.ok(md5Ms(MiB, defaultTimings('esp32h2')) > ms);
    assert.equal(flashReadMs(8312, defaultTimings('esp32c6')).toFixed(2), '1.00');
    assert.equal(ramLoadMs(10000, defaultTimings('esp32c3')), 1);
  });

  it('rates can be overridden by timing option; a zero rate or an unknown name is refused', () => {
    const t = resolveTimings({ md5BytesPerMs: 100 }, 'esp32c3')!;
    assert.equal(t.md5BytesPerMs, 100);
    assert.equal(t.flashReadBytesPerMs, loaderSpeedTimings('esp32c3').flashReadBytesPerMs);
    assert.throws(() => resolveTimings({ md5BytesPerMs: 0 }, 'esp32'), /md5BytesPerMs must be a rate > 0/);
    assert.throws(() => resolveTimings({ md5Speed: 1 } as never, 'esp32'), /Unknown timing option "md5Speed"/);
  });

  for (const loader of ['rom', 'stub'] as const) {
    it(`${loader}: SPI_FLASH_MD5 answers only after reading and hashing the region, and counts it`, async () => {
      chip = new VirtualChip({ chip: 'esp32c3', resetLines: false, bootLog: false, timing: { md5BytesPerMs: 200, flashReadBytesPerMs: 800 } });
      const h = new TestHost(chip.transport());
      if (loader === 'stub') await enterStub(h);
      const size = 0x10000; // 327.7 ms of hashing + 81.9 ms of reading
      chip.preloadFlash(0x20000, new Uint8Array(crypto.randomBytes(size)));
      const t = now();
      const r = await h.command(0x13, words(0x20000, size, 0, 0), 0, 3000);
      const elapsed = now() - t;
      assert.ok(elapsed >= size / 200 + size / 800, `answered after ${elapsed.toFixed(0)} ms`);
      const want = crypto.createHash('md5').update(chip.readFlash(0x20000, size)).digest('hex');
      assert.equal(loader === 'rom' ? Buffer.from(r.data.subarray(0, 32)).toString('latin1') : hex(r.data.subarray(0, 16)), want);
      assert.equal(chip.stats.md5Bytes, size);
      assert.equal(chip.stats.md5Ms.toFixed(1), (size / 200 + size / 800).toFixed(1));
    });
  }

  it('timing off: MD5 work is counted but not waited for', async () => {
    chip = new VirtualChip({ chip: 'esp32s3', resetLines: false, bootLog: false });
    const h = new TestHost(chip.transport());
    await enterStub(h);
    const t = now();
    await h.command(0x13, words(0, 4 * MiB, 0, 0), 0, 3000);
    assert.ok(now() - t < 400, `took ${(now() - t).toFixed(0)} ms with timing off`);
    assert.equal(chip.stats.md5Bytes, 4 * MiB);
    assert.ok(chip.stats.md5Ms > 2000);
  });

  it('READ_FLASH: every packet is read from flash before it is sent (read time counted and waited for)', async () => {
    chip = new VirtualChip({ chip: 'esp32c6', resetLines: false, bootLog: false, timing: { flashReadBytesPerMs: 64 } });
    const h = new TestHost(chip.transport());
    await enterStub(h);
    await h.command(0x0f, words(4_000_000, 115200));
    await h.t.setBaudRate(4_000_000);
    const size = 0x4000; // 256 ms of flash reads at 64 bytes per ms
    const t = now();
    const ok = await h.command(0xd2, words(0x1000, size, 0x1000, 2), 0, 3000);
    assert.equal(ok.data[0], 0);
    let got = 0;
    const pending: Uint8Array[] = [];
    while (got < size) {
      if (!pending.length) pending.push(...(await h.frames(1, 3000)));
      const f = pending.shift();
      assert.ok(f, `no data frame after ${got} bytes`);
      got += f.length;
      await h.send(slip(words(got))); // the host acknowledges with the total received
    }
    const [digest] = pending.length ? pending : await h.frames(1, 3000);
    const elapsed = now() - t;
    assert.equal(digest.length, 16);
    assert.ok(elapsed >= size / 64, `stream took ${elapsed.toFixed(0)} ms`);
    assert.equal(chip.stats.readMs, size / 64);
  });

  it('an erase the stub started ahead (FLASH_BEGIN) delays SPI_FLASH_MD5 until the flash is idle', async () => {
    chip = new VirtualChip({ chip: 'esp32c6', resetLines: false, bootLog: false, timing: true, stub: 'current' });
    const h = new TestHost(chip.transport());
    await enterStub(h); // an image the chip does not know: esp-flasher-stub's oldest schedule, erase ahead
    chip.preloadFlash(0x20000, new Uint8Array(crypto.randomBytes(0x10000)));
    const t = defaultTimings('esp32c6');
    const md5Of4k = async (): Promise<number> => {
      const at = now();
      const r = await h.command(0x13, words(0x40000, 0x1000, 0, 0), 0, 3000);
      assert.equal(hex(r.data.subarray(0, 16)), crypto.createHash('md5').update(chip!.readFlash(0x40000, 0x1000)).digest('hex'));
      return now() - at;
    };
    const idle = await md5Of4k();
    assert.ok(idle < t.eraseBlockMs / 2, `MD5 of 4 KiB with the flash idle took ${idle.toFixed(0)} ms`);
    // BEGIN of 128 KiB at a 64 KiB boundary: the stub starts a 64 KiB block erase and answers at once.
    const began = now();
    const begin = await h.command(0x02, words(0x20000, 8, 0x4000, 0x20000), 0, 3000);
    assert.equal(begin.data[0], 0);
    assert.ok(now() - began < t.eraseBlockMs / 2, `BEGIN answered after ${(now() - began).toFixed(0)} ms`);
    const busy = await md5Of4k();
    assert.ok(now() - began >= t.eraseBlockMs - 5, `MD5 answered ${(now() - began).toFixed(0)} ms after BEGIN, the erase takes ${t.eraseBlockMs} ms`);
    assert.ok(busy > idle + t.eraseBlockMs / 2, `MD5 right after BEGIN took ${busy.toFixed(0)} ms, ${idle.toFixed(0)} ms when idle`);
    // The erase has finished: the next MD5 is as fast as before, and the block reads back erased.
    assert.ok((await md5Of4k()) < t.eraseBlockMs / 2);
    assert.ok(
      chip.readFlash(0x20000, 0x10000).every((b) => b === 0xff),
      'the 64 KiB block was erased',
    );
  });

  it('MEM_DATA: the checksum and copy into RAM are counted per block', async () => {
    chip = new VirtualChip({ chip: 'esp32', resetLines: false, bootLog: false, timing: true });
    const h = new TestHost(chip.transport());
    await h.command(0x05, words(0x3000, 2, 0x1800, 0x40080000));
    for (let seq = 0; seq < 2; seq++) {
      await h.send(dataRequest(0x07, seq, new Uint8Array(0x1800).fill(seq)));
      assert.equal(parseReply((await h.frames(1))[0]).data[0], 0);
    }
    assert.equal(chip.stats.ramLoadMs, (2 * 0x1800) / loaderSpeedTimings('esp32').ramLoadBytesPerMs);
  });
});
