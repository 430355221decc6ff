import { strict as assert } from 'node:assert';
import { chipFacts } from '../../../src/core/chips';
import { LoaderConnection } from '../../../src/core/protocol/loader_connection';
import { LoaderSession } from '../../../src/core/protocol/loader_session';
import { flashSizeFromId, readFlashId } from '../../../src/core/protocol/spi_flash_id';
import { fakeRom } from './fake_rom';

describe('flash ID and size (§3.7)', () => {
  it('maps JEDEC size ids to bytes', () => {
    assert.equal(flashSizeFromId(0x1640ef), 4 * 1024 * 1024);
    assert.equal(flashSizeFromId(0x1840c8), 16 * 1024 * 1024);
    assert.equal(flashSizeFromId(0x1240ef), 256 * 1024);
    assert.equal(flashSizeFromId(0x2140ef), 128 * 1024 * 1024);
    assert.equal(flashSizeFromId(0x3420c2), 1024 * 1024);
    assert.equal(flashSizeFromId(0x00071f), 4 * 1024 * 1024);
    assert.equal(flashSizeFromId(0x7f40ef), undefined);
  });

  it('issues RDID through the SPI user-command registers and restores them', async () => {
    const chip = chipFacts('esp32c3');
    const base = chip.spi.base;
    const t = fakeRom({
      regs: { [base + chip.spi.usr]: 0xaaaa, [base + chip.spi.usr2]: 0xbbbb },
      extra: undefined,
    });
    // When the host sets CMD.USR the "hardware" completes at once and W0 holds the ID.
    const origHandler = t.handler;
    t.handler = (req, dev) => {
      const r = origHandler(req, dev);
      if (t.regs[base] === 1 << 18) {
        t.regs[base] = 0;
        t.regs[base + chip.spi.w0] = 0xff1640ef;
      }
      return r;
    };
    const id = await readFlashId(new LoaderSession(new LoaderConnection(t)), chip);
    assert.equal(id, 0x1640ef);
    assert.deepEqual(t.writes.slice(0, 5), [
      [base + chip.spi.misoDlen!, 23],
      [base + chip.spi.usr, ((1 << 31) | (1 << 28)) >>> 0],
      [base + chip.spi.usr2, (7 << 28) | 0x9f],
      [base + chip.spi.w0, 0],
      [base, 1 << 18],
    ]);
    assert.equal(t.regs[base + chip.spi.usr], 0xaaaa);
    assert.equal(t.regs[base + chip.spi.usr2], 0xbbbb);
  });
});
