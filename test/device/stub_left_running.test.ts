/**
 * A session that finds the flasher stub already running (the previous one ended with
 * --after no-reset-stub): SYNC answers with value 0, so the host keeps the stub, uses its
 * 2 status bytes, does not upload it again, and detects the chip by the magic register when
 * GET_SECURITY_INFO is refused (the ESP32 stub lacks it). Reported bug: the second session
 * failed with "GET_SECURITY_INFO reply too short (2 data bytes, expected 12 + status)".
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { cli } from './cli_run';
import type { ChipName } from '../../src/core/chips';
import { pseudoRandom, ptyChipsPerTest } from './flash_helpers';

describe('a stub left running by the previous session', function () {
  this.timeout(60_000);
  const chips = ptyChipsPerTest();
  let tmp: string;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'esp-flasher-stub-left-'));
  });

  after(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  const cases: [ChipName, RegExp][] = [
    ['esp32', /^Chip is ESP32 \(magic 0x00f01d83\)/m],
    ['esp32s3', /^Chip is ESP32-S3 \(chip id 9\)/m],
  ];
  for (const [chip, detected] of cases) {
    it(`${chip}: read --after no-reset-stub, then another read finds the stub and keeps it`, async () => {
      const pty = await chips.start({ chip });
      const data = pseudoRandom(0x2000, `${chip}-stub-left`);
      pty.chip.preloadFlash(0x10000, data);
      const first = await cli('read', '--port', pty.path, '--after', 'no-reset-stub', '0x10000', '0x1000', path.join(tmp, `${chip}-1.bin`));
      assert.equal(first.code, 0, first.err);
      assert.match(first.out, /^Flasher stub running: stub uploaded/m);
      assert.match(first.out, /^Reset: none: staying in the flasher stub$/m);
      assert.equal(pty.chip.inStub, true, 'the stub must still run after --after no-reset-stub');
      const memData = pty.chip.stats.perOpcode[0x07] ?? 0; // MEM_DATA: stub upload
      assert.ok(memData > 0);
      const securityInfo = pty.chip.stats.perOpcode[0x14] ?? 0;

      const second = await cli('read', '--port', pty.path, '0x11000', '0x1000', path.join(tmp, `${chip}-2.bin`));
      assert.equal(second.code, 0, second.err);
      assert.doesNotMatch(second.err, /reply too short/);
      assert.match(second.out, detected);
      assert.match(second.out, /^Flasher stub running: a stub was already running \(not identified: conservative capabilities\)/m);
      assert.equal(pty.chip.stats.perOpcode[0x07] ?? 0, memData, 'the stub was not uploaded again (no MEM_DATA)');
      assert.equal(pty.chip.stats.perOpcode[0x14] ?? 0, securityInfo + 1, 'GET_SECURITY_INFO was asked once');
      assert.deepEqual(new Uint8Array(await readFile(path.join(tmp, `${chip}-1.bin`))), data.subarray(0, 0x1000));
      assert.deepEqual(new Uint8Array(await readFile(path.join(tmp, `${chip}-2.bin`))), data.subarray(0x1000));
    });
  }
});
