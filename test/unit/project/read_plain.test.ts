import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { readPlainPairs } from '../../../src/core/project/read_project';
import { writeSampleIdfBuildDetailed } from '../../fixtures/sample_build';
import { tempDirs } from './tmp_dirs';

const tmp = tempDirs();

describe('plain offset/file pairs', () => {
  it('names segments after their files, finds the chip and the partition table by content', async () => {
    const s = await writeSampleIdfBuildDetailed(tmp.make(), { chip: 'esp32h2' });
    const pairs = s.images.map((i) => ({ offset: i.offset, file: path.join(s.buildDir, i.file) }));
    const r = await readPlainPairs(pairs);
    assert.deepEqual(r.problems, []);
    assert.equal(r.plan.chip, 'esp32h2');
    assert.deepEqual(r.plan.settings, { mode: 'keep', size: 'keep', freq: 'keep' });
    assert.deepEqual(
      r.plan.segments.map((x) => [x.name, x.offset, x.role, x.encrypt]),
      [
        ['bootloader', 0x0, 'bootloader', false],
        ['partition-table', 0x8000, 'partition-table', false],
        ['sample_app', 0x10000, 'app', false],
        ['storage', 0x110000, 'data', false],
      ],
    );
    assert.equal(r.plan.partitionTableOffset, 0x8000);
    assert.equal(r.plan.partitions?.length, 4);
    assert.match(r.plan.segments[0].encryptSource!, /offset\/file pairs carry no encrypted mark/);
  });

  it('relative paths resolve from baseDir; overlaps and missing files are errors', async () => {
    const s = await writeSampleIdfBuildDetailed(tmp.make(), { chip: 'esp32c3' });
    const r = await readPlainPairs(
      [
        { offset: 0x10000, file: 'sample_app.bin' },
        { offset: 0x11000, file: 'storage.bin' },
        { offset: 0x200000, file: 'nothing.bin' },
      ],
      { baseDir: s.buildDir },
    );
    const e = r.problems.filter((p) => p.severity === 'error').map((p) => p.message);
    assert.equal(r.plan.segments[0].file, path.join(s.buildDir, 'sample_app.bin'));
    assert.ok(
      e.some((m) => /^segment storage at 0x11000 .* overlaps segment sample_app at 0x10000 .*, which ends at 0x1fc60\./.test(m)),
      e.join('\n'),
    );
    assert.ok(
      e.some((m) => /^segment nothing at 0x200000 .*: the file does not exist \(listed by pair 3 \(0x200000 nothing\.bin\)\)/.test(m)),
      e.join('\n'),
    );
  });
});
