import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { makePartition, TYPE } from '../../../src/core/formats/partition_table';
import { writePartitionTable } from '../../../src/core/formats/partition_binary';
import { checkPlan, checkPlanAgainstDevice } from '../../../src/core/plan/check_plan';
import type { FlashPlan, PlanSegment } from '../../../src/core/plan/flash_plan';
import type { Problem } from '../../../src/core/plan/problem';
import { readProject } from '../../../src/core/project/read_project';
import type { ChipName } from '../../../src/core/chips';
import { writeSampleIdfBuild } from '../../fixtures/sample_build';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function samplePlan(chip: ChipName = 'esp32c3', fe: 'off' | 'development' = 'off'): Promise<FlashPlan> {
  const d = mkdtempSync(path.join(tmpdir(), 'check-'));
  dirs.push(d);
  const r = await readProject(await writeSampleIdfBuild(d, { chip, flashEncryption: fe }), { check: false });
  return r.plan;
}
const seg = (p: FlashPlan, name: string) => p.segments.find((s) => s.name === name) as PlanSegment;
const only = (ps: Problem[], severity: 'error' | 'warning') => ps.filter((p) => p.severity === severity).map((p) => p.message);
const show = (ps: Problem[]) => ps.map((p) => `${p.severity}: ${p.message}`).join('\n');

describe('checkPlan', () => {
  it('a valid sample plan has no problems, for every check', async () => {
    const p = await samplePlan('esp32', 'development');
    assert.deepEqual(checkPlan(p, { deviceFlashSize: 4 * 1024 * 1024, connectedChip: 'esp32' }), []);
  });

  it('overlapping segments', async () => {
    const p = await samplePlan();
    seg(p, 'storage').offset = 0x10000 + 0x1000;
    const e = only(checkPlan(p), 'error');
    assert.ok(
      e.some((m) => /^segment storage at 0x11000 .* overlaps segment app at 0x10000 .*, which ends at 0x1fc60\. One would overwrite the other/.test(m)),
      e.join('\n'),
    );
  });

  it('a segment beyond the flash size (from the build settings, then the device)', async () => {
    const p = await samplePlan();
    p.settings.size = '1MB';
    const e = only(checkPlan(p), 'error');
    assert.ok(
      e.some((m) => /^segment storage at 0x110000 .* ends at 0x114000, beyond the 1 MiB flash size of the build's flash size \(1MB\)\./.test(m)),
      e.join('\n'),
    );
    p.settings.size = 'detect';
    assert.ok(only(checkPlan(p, { deviceFlashSize: 0x100000 }), 'error').some((m) => /beyond the 1 MiB flash size of the connected device/.test(m)));
    const w = only(checkPlan(p, { deviceFlashSize: 0x100000 }), 'warning');
    assert.ok(
      w.some((m) => /^Partition storage \(0x110000–0x150000\) ends beyond the 1 MiB flash size of the connected device/.test(m)),
      w.join('\n'),
    );
  });

  it('a segment outside every partition (warning) or larger than its partition (error)', async () => {
    const p = await samplePlan();
    seg(p, 'storage').offset = 0x300000;
    assert.ok(only(checkPlan(p), 'warning').some((m) => /^segment storage at 0x300000 .* lies in no partition of the table/.test(m)));
    const q = await samplePlan();
    q.partitions!.find((x) => x.label === 'factory')!.size = 0x8000;
    const e = only(checkPlan(q), 'error');
    assert.ok(
      e.some((m) => /^segment app at 0x10000 .* is 64608 bytes but partition factory \(0x10000, 32 KiB\) leaves only 32768 bytes from that offset\./.test(m)),
      e.join('\n'),
    );
  });

  it('an app image for another chip than the plan or the connected chip', async () => {
    const p = await samplePlan('esp32c3');
    p.chip = 'esp32c6';
    const e = only(checkPlan(p), 'error');
    assert.ok(
      e.some((m) =>
        /^segment app at 0x10000 .*: the image is built for ESP32-C3 \(header chip id 5\) but the plan is for ESP32-C6\. Build for the right target \(idf\.py set-target esp32c6\)/.test(
          m,
        ),
      ),
      e.join('\n'),
    );
    const q = await samplePlan('esp32c3');
    const d = only(checkPlanAgainstDevice(q, { connectedChip: 'esp32s3' }), 'error');
    assert.ok(
      d.some((m) => /^The plan is for ESP32-C3 but the connected chip is ESP32-S3\./.test(m)),
      d.join('\n'),
    );
    assert.ok(
      d.some((m) => /^segment bootloader at 0x0 .*: the image is built for ESP32-C3 but the connected chip is ESP32-S3; it would not boot\./.test(m)),
      d.join('\n'),
    );
  });

  it('an encrypted segment not aligned for the chip (32 bytes on ESP32, 16 elsewhere)', async () => {
    const p = await samplePlan('esp32');
    const s = seg(p, 'storage');
    s.encrypt = true;
    s.offset = 0x110010;
    const e = only(checkPlan(p), 'error');
    assert.ok(
      e.some((m) => /^segment storage at 0x110010 .* is marked encrypted but its offset is not a multiple of 32 bytes, which ESP32 needs for encrypted writes\./.test(m)),
      e.join('\n'),
    );
    const q = await samplePlan('esp32c3');
    const t = seg(q, 'storage');
    t.encrypt = true;
    t.offset = 0x110010;
    assert.ok(!only(checkPlan(q), 'error').some((m) => /marked encrypted/.test(m)), '16-byte aligned is fine on C3');
  });

  it("header flash size larger than the device's", async () => {
    const p = await samplePlan();
    p.settings.size = 'keep';
    // A warning (as esptool gives), judged on the header as it will be written.
    const e = only(checkPlanAgainstDevice(p, { deviceFlashSize: 2 * 1024 * 1024 }), 'warning');
    assert.ok(
      e.some((m) =>
        /^segment "bootloader" at 0x0: the bootloader header \(written as built\) says 4MB of flash, but the connected device has 2 MiB; .* Set the flash size to "detect" or the device's size/.test(
          m,
        ),
      ),
      e.join('\n'),
    );
    const w = only(checkPlanAgainstDevice(p, { deviceFlashSize: 2 * 1024 * 1024 }), 'warning');
    assert.ok(
      w.some((m) => /^segment "app" at 0x10000: the app header \(app headers are written as built\) says 4MB of flash, but the connected device has 2 MiB/.test(m)),
      w.join('\n'),
    );
  });

  it('header flash settings that disagree with the build: says which wins and why', async () => {
    const p = await samplePlan('esp32c3');
    p.settings = { mode: 'qio', size: '2MB', freq: '40m' };
    p.settingsSource = 'flasher_args.json flash_settings';
    const w = only(checkPlan(p), 'warning');
    assert.ok(
      w.some((m) =>
        /^segment bootloader at 0x0 .*: the image header says flash mode dio \(build: qio\), flash size 4MB \(build: 2MB\), flash frequency 80m \(build: 40m\) — the header and the build's settings \(flasher_args\.json flash_settings\) disagree\. The build's settings win: the flasher writes them into the bootloader header at 0x0 while flashing/.test(
          m,
        ),
      ),
      w.join('\n'),
    );
    assert.ok(
      w.some((m) => /^segment app at 0x10000 .*: the app header says .* App headers are written as built \(only the bootloader header is patched\)/.test(m)),
      w.join('\n'),
    );
    p.settings = { mode: 'keep', size: 'detect', freq: 'keep' };
    assert.deepEqual(checkPlan(p), [], '"keep" and "detect" never disagree');
    p.settings.freq = '80m';
    p.chip = 'esp32c2';
    assert.ok(only(checkPlan(p), 'error').some((m) => /^Flash frequency 80m .* is not valid for ESP32-C2; valid: 60m, 30m, 20m, 15m\./.test(m)));
  });

  it('partition table MD5 mismatch or malformed', async () => {
    const p = await samplePlan();
    const pt = seg(p, 'partition-table');
    pt.bytes = Uint8Array.from(pt.bytes);
    pt.bytes[20] ^= 1;
    assert.ok(only(checkPlan(p), 'error').some((m) => /partition-table\.bin: partition table MD5 mismatch at offset 0x80/.test(m)));
    pt.bytes = Uint8Array.from(pt.bytes);
    pt.bytes[32] = 0x00;
    assert.ok(only(checkPlan(p), 'error').some((m) => /row at offset 0x20 starts with 0x0 0x50/.test(m)));
  });

  it('missing and empty files, bootloader at the wrong offset, app in a data partition, no segments', async () => {
    const p = await samplePlan('esp32c5');
    seg(p, 'app').bytes = new Uint8Array(0);
    seg(p, 'storage').bytes = new Uint8Array(0);
    seg(p, 'storage').file = '/nonexistent/storage.bin';
    seg(p, 'bootloader').offset = 0x0;
    const e = only(checkPlan(p), 'error');
    assert.ok(
      e.some((m) => /^segment app at 0x10000 .*: the file is empty \(0 bytes\)/.test(m)),
      e.join('\n'),
    );
    assert.ok(
      e.some((m) => /^segment storage at 0x110000 \(\/nonexistent\/storage\.bin\): the file does not exist \(listed by flasher_args\.json flash_files 0x110000\)/.test(m)),
      e.join('\n'),
    );
    assert.ok(
      e.some((m) => /^segment bootloader at 0x0 .*: ESP32-C5 boots its 2nd-stage bootloader from 0x2000, not 0x0\./.test(m)),
      e.join('\n'),
    );

    const q = await samplePlan();
    seg(q, 'app').offset = 0x110000;
    seg(q, 'storage').offset = 0x120000;
    q.partitions!.find((x) => x.label === 'storage')!.size = 0x100000;
    assert.ok(
      only(checkPlan(q), 'error').some((m) => /^segment app at 0x110000 .* is an app image but lands in data partition storage; apps go into app partitions\./.test(m)),
      show(checkPlan(q)),
    );

    assert.match(checkPlan({ settings: { mode: 'keep', size: 'keep', freq: 'keep' }, segments: [] })[0].message, /^The plan has no segments: nothing to flash\./);
  });

  it('checkPlanAgainstDevice returns only what the device adds', async () => {
    const p = await samplePlan();
    p.settings.size = '2MB';
    const table = [
      makePartition('nvs', TYPE.data, 2, 0x9000, 0x6000, 0),
      makePartition('factory', TYPE.app, 0, 0x10000, 0x100000, 0),
      makePartition('storage', TYPE.data, 0x82, 0x110000, 0x40000, 0),
    ];
    seg(p, 'partition-table').bytes = writePartitionTable(table);
    p.partitions = table;
    assert.deepEqual(checkPlanAgainstDevice(p, { deviceFlashSize: 4 << 20, connectedChip: 'esp32c3' }), []);
    const d = checkPlanAgainstDevice(p, { deviceFlashSize: 1 << 20 });
    assert.ok(d.length > 0 && d.every((x) => /connected device/.test(x.message)), show(d));
  });
});
