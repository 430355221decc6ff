/**
 * The encrypted-region rule when the job carries no partition table: the device's own table is
 * read back (plain, or unreadable when encrypted without a key) and judged by region.
 */
import { strict as assert } from 'node:assert';
import type { WriteSegment } from '../../src/core/flash/api';
import type { FlashEvent } from '../../src/core/flash/events';
import { flashSegments } from '../../src/core/flash/flash_job';
import { writePartitionTable } from '../../src/core/formats/partition_binary';
import { makePartition } from '../../src/core/formats/partition_table';
import type { VirtualChip } from '../../src/sim/virtual_chip';
import { pseudoRandom } from './flash_helpers';

const table = writePartitionTable([
  makePartition('nvs', 1, 0x02, 0x9000, 0x6000, 0),
  makePartition('factory', 0, 0x00, 0x10000, 0x100000, 0),
  makePartition('storage', 1, 0x82, 0x110000, 0x10000, 0),
]);

async function flashOnto(prepare: (chip: VirtualChip) => void, segments: WriteSegment[], more: { keyFile?: string } = {}) {
  const events: FlashEvent[] = [];
  let chip: VirtualChip | undefined;
  const result = await flashSegments(segments, {
    port: 'virtual:esp32c3:encryption=development',
    ...(more.keyFile ? { hostKey: { keyFile: more.keyFile } } : {}),
    onEvent: (e) => events.push(e),
    onVirtualChip: (c) => {
      chip = c as VirtualChip;
      prepare(chip);
    },
  });
  return { result, events, chip: chip! };
}

describe("encrypted regions from the device's own partition table", function () {
  this.timeout(60_000);

  it('a readable table: plaintext nvs is written, a plaintext app into the factory partition is refused, naming the device table', async () => {
    const nvs = await flashOnto((c) => c.preloadFlash(0x8000, table), [{ name: 'nvs', offset: 0x9000, bytes: pseudoRandom(0x1000, 'nvs'), encrypt: 'off' }]);
    try {
      assert.equal(nvs.result.ok, true, nvs.result.error);
      assert.ok(Buffer.from(nvs.chip.readFlash(0x9000, 0x1000)).equals(Buffer.from(pseudoRandom(0x1000, 'nvs'))));
    } finally {
      nvs.chip.close();
    }
    const app = await flashOnto((c) => c.preloadFlash(0x8000, table), [{ name: 'app', offset: 0x10000, bytes: pseudoRandom(0x2000, 'app'), encrypt: 'off' }]);
    try {
      assert.equal(app.result.ok, false);
      const r = app.result.refusals?.find((x) => x.code === 'plaintext-in-encrypted-region');
      assert.ok(r, app.result.error);
      assert.match(r.reason, /partition factory \(app\/factory, encrypted by default, 0x10000–0x110000\) per the device's partition table at 0x8000/);
      assert.ok(app.chip.readFlash(0x10000, 0x2000).every((b) => b === 0xff));
    } finally {
      app.chip.close();
    }
  });

  it('an encrypted table and no key: plaintext beyond it is refused, saying the table could not be read', async () => {
    const run = await flashOnto(
      (c) => c.preloadFlash(0x8000, c.encryptForFlash(0x8000, table)),
      [{ name: 'storage', offset: 0x110000, bytes: pseudoRandom(0x1000, 's'), encrypt: 'off' }],
    );
    try {
      assert.equal(run.result.ok, false);
      assert.match(run.result.refusals![0].reason, /the device's partition table at 0x8000 is encrypted or damaged and no key was given to read it/);
    } finally {
      run.chip.close();
    }
  });

  it('an encrypted table and the host key: the table is decrypted, and plaintext storage is written', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'devtable-'));
    const keyFile = path.join(dir, 'key.bin');
    const run = await flashOnto(
      (c) => {
        fs.writeFileSync(keyFile, c.key!);
        c.preloadFlash(0x8000, c.encryptForFlash(0x8000, table));
      },
      [{ name: 'storage', offset: 0x110000, bytes: pseudoRandom(0x1000, 's'), encrypt: 'off' }],
      { keyFile },
    );
    try {
      assert.equal(run.result.ok, true, run.result.error);
      assert.ok(Buffer.from(run.chip.readFlash(0x110000, 0x1000)).equals(Buffer.from(pseudoRandom(0x1000, 's'))));
    } finally {
      run.chip.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
