/**
 * The virtual chip erases the way the stub it was actually sent does (src/sim/flash_write_session.ts
 * StubEraseStyle): our default stub, esp-flasher-stub v1.2.2, reads a blank chip's sectors and
 * never erases them; once it meets a sector that is not blank it erases as it writes. esptool's
 * legacy stub (its set 1) erases every sector it writes, blank or not.
 */
import { strict as assert } from 'node:assert';
import { existsSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { cli } from './cli_run';
import { SHARED, ptyChipsPerTest, pseudoRandom, socatMissing, tempDirPerSuite } from './flash_helpers';

const AT = 0x100000;
const SIZE = 3 * 0x10000;

describe('erase schedule of the stub the chip was sent (virtual chip through a pty)', function () {
  this.timeout(120_000);
  if (socatMissing('erase schedule tests')) return;
  const chips = ptyChipsPerTest();
  const tmp = tempDirPerSuite('esp-flasher-erase-');

  async function flash(file: string, ...extra: string[]): Promise<void> {
    const r = await cli('flash', '--port', chips.pty!.path, '--chip', 'esp32c3', '--after', 'no-reset', '--no-cache', ...extra, `0x${AT.toString(16)}`, file);
    assert.equal(r.code, 0, `${r.out}\n${r.err}`);
  }

  it('esp-flasher-stub v1.2.2: a blank chip is written without one erase; written-over flash is erased', async () => {
    const { chip } = await chips.start({ chip: 'esp32c3' });
    const first = pseudoRandom(SIZE, 'erase-schedule-1');
    const second = pseudoRandom(SIZE, 'erase-schedule-2');
    writeFileSync(path.join(tmp.path, 'a.bin'), first);
    writeFileSync(path.join(tmp.path, 'b.bin'), second);

    await flash(path.join(tmp.path, 'a.bin'));
    assert.deepEqual(chip.readFlash(AT, SIZE), first);
    assert.equal(chip.stats.blocksErased + chip.stats.sectorsErased, 0, 'nothing erased on a blank chip');

    await flash(path.join(tmp.path, 'b.bin'));
    assert.deepEqual(chip.readFlash(AT, SIZE), second);
    assert.equal(chip.stats.blocksErased, SIZE / 0x10000, 'the written-over range is erased in 64 KiB blocks');
  });

  it("esptool 4.12's legacy stub (set 1) erases a blank chip's sectors before writing them", async function () {
    const set1 = path.join(SHARED, 'qemu', 'stubs-esptool-4.12', '1');
    if (!existsSync(path.join(set1, 'esp32c3.json'))) {
      console.log(`      ${set1} not present: skipped`);
      this.skip();
    }
    const pty = await chips.start({ chip: 'esp32c3' });
    const data = pseudoRandom(SIZE, 'erase-schedule-legacy');
    writeFileSync(path.join(tmp.path, 'c.bin'), data);
    await flash(path.join(tmp.path, 'c.bin'), '--stub-dir', set1);
    assert.deepEqual(pty.chip.readFlash(AT, SIZE), data);
    assert.equal(pty.chip.stats.blocksErased, SIZE / 0x10000);
  });
});
