import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { chipFacts, type ChipName } from '../../../src/core/chips';
import { readProject } from '../../../src/core/project/read_project';
import { writeSampleIdfBuild, writeSampleIdfBuildDetailed } from '../../fixtures/sample_build';
import { tempDirs } from './tmp_dirs';

const tmp = tempDirs();

describe('readProject on self-made ESP-IDF builds (test/fixtures/sample_build.ts)', () => {
  for (const chip of ['esp32', 'esp32s2', 'esp32s3', 'esp32c2', 'esp32c3', 'esp32c5', 'esp32c6', 'esp32h2', 'esp32p4'] as ChipName[]) {
    it(`${chip}: plain build, read from the project folder, without problems`, async () => {
      const dir = tmp.make();
      const sample = await writeSampleIdfBuildDetailed(dir, { chip });
      const r = await readProject(dir);
      assert.equal(r.kind, 'esp-idf');
      assert.equal(r.buildDir, path.join(dir, 'build'));
      assert.deepEqual(r.problems, []);
      assert.equal(r.plan.chip, chip);
      assert.deepEqual(r.plan.settings, { mode: 'dio', size: '4MB', freq: Object.keys(chipFacts(chip).flashFreq)[0] });
      assert.equal(r.plan.flashEncryption, 'off');
      assert.deepEqual(
        r.plan.segments.map((s) => [s.name, s.offset, path.relative(sample.buildDir, s.file!), s.encrypt, s.partition?.label]),
        [
          ['bootloader', chipFacts(chip).bootloaderOffset, 'bootloader/bootloader.bin', false, undefined],
          ['partition-table', 0x8000, 'partition_table/partition-table.bin', false, undefined],
          ['app', 0x10000, 'sample_app.bin', false, 'factory'],
          ['storage', 0x110000, 'storage.bin', false, 'storage'],
        ],
      );
      const app = r.plan.segments[2].image!;
      assert.equal(app.chip, chip);
      assert.equal(app.appDesc?.projectName, 'sample_app');
      assert.ok(app.checksum.ok && app.sha256?.ok);
      assert.equal(r.plan.segments[0].image?.bootloaderDesc?.idfVersion, 'v5.3.1');
    });
  }

  it("development flash encryption with OTA: the build's encrypted marks become the defaults", async () => {
    const dir = tmp.make();
    const buildDir = await writeSampleIdfBuild(dir, { chip: 'esp32s3', flashEncryption: 'development', ota: true, appSize: 0x30000 });
    const r = await readProject(buildDir);
    assert.deepEqual(r.problems, []);
    assert.equal(r.plan.flashEncryption, 'development');
    assert.equal(r.plan.after, 'no-reset');
    assert.deepEqual(
      r.plan.segments.map((s) => [s.name, s.offset, s.encrypt, s.encryptSource]),
      [
        ['bootloader', 0x0, true, 'flasher_args.json "bootloader": "encrypted": "true"'],
        ['partition-table', 0x8000, true, 'flasher_args.json "partition-table": "encrypted": "true"'],
        ['otadata', 0xd000, true, 'flasher_args.json "otadata": "encrypted": "true"'],
        ['app', 0x10000, true, 'flasher_args.json "app": "encrypted": "true"'],
        ['storage', 0x210000, false, 'flasher_args.json "storage": "encrypted": "false"'],
      ],
    );
    assert.deepEqual(
      r.plan.partitions?.map((p) => [p.label, p.encryptByDefault]),
      [
        ['nvs', false],
        ['otadata', true],
        ['phy_init', false],
        ['factory', true],
        ['ota_0', true],
        ['storage', false],
      ],
    );
    const app = r.plan.segments.find((s) => s.name === 'app')!;
    assert.ok(Math.abs(app.bytes.length - 0x30000) < 0x2000, `app size ${app.bytes.length} near the asked 0x30000`);
  });

  it('finds the build from a workspace folder above the project', async () => {
    const ws = tmp.make();
    await writeSampleIdfBuild(path.join(ws, 'firmware'), { chip: 'esp32c3' });
    const r = await readProject(ws);
    assert.equal(r.kind, 'esp-idf');
    assert.equal(r.buildDir, path.join(ws, 'firmware', 'build'));
    assert.deepEqual(r.problems, []);
  });

  it('nothing found: kind none, an error, and the list of what was looked at', async () => {
    const dir = tmp.make();
    mkdirSync(path.join(dir, 'docs'));
    const r = await readProject(dir);
    assert.equal(r.kind, 'none');
    assert.equal(r.plan.segments.length, 0);
    assert.equal(r.problems.length, 1);
    assert.match(
      r.problems[0].message,
      /^No ESP-IDF build \(build\/flasher_args\.json\), PlatformIO project \(platformio\.ini\) or cargo project \(Cargo\.toml\) found in .* or two levels below\./,
    );
    for (const f of ['flasher_args.json', 'platformio.ini', 'Cargo.toml', 'build/flasher_args.json', 'docs/platformio.ini']) {
      assert.ok(r.looked.includes(path.join(dir, f)), `looked at ${f}`);
    }
    const notDir = await readProject(path.join(dir, 'nope'));
    assert.equal(notDir.kind, 'none');
    assert.match(notDir.problems[0].message, /nope is not a folder/);
  });

  it('an ESP-IDF project that was never built says to build it', async () => {
    const dir = tmp.make();
    writeFileSync(path.join(dir, 'CMakeLists.txt'), 'include($ENV{IDF_PATH}/tools/cmake/project.cmake)\nproject(x)\n');
    const r = await readProject(dir);
    assert.equal(r.kind, 'esp-idf');
    assert.ok(
      r.problems.some((p) => p.severity === 'error' && /nothing to flash .* Build the project \(idf\.py build\) first/.test(p.message)),
      JSON.stringify(r.problems),
    );
  });
});
