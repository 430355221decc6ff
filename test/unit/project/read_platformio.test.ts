import { strict as assert } from 'node:assert';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ChipName } from '../../../src/core/chips';
import type { Problem } from '../../../src/core/plan/problem';
import { readProject } from '../../../src/core/project/read_project';
import { writeSampleIdfBuildDetailed } from '../../fixtures/sample_build';
import { tempDirs } from './tmp_dirs';

const tmp = tempDirs();
const show = (ps: Problem[]) => ps.map((p) => `${p.severity}: ${p.message}`).join('\n');

/** A PlatformIO project whose env holds the sample build's outputs under PlatformIO's names. */
async function pioProject(opts: { chip: ChipName; ini: string; env?: string; ota?: boolean; keepIdfFiles?: boolean }): Promise<{ dir: string; build: string }> {
  const dir = tmp.make('pio-');
  const sample = await writeSampleIdfBuildDetailed(path.join(dir, 'sample'), { chip: opts.chip, ota: opts.ota });
  const build = path.join(dir, '.pio', 'build', opts.env ?? 'dev');
  mkdirSync(build, { recursive: true });
  const from = (f: string) => path.join(sample.buildDir, f);
  copyFileSync(from('bootloader/bootloader.bin'), path.join(build, 'bootloader.bin'));
  copyFileSync(from('partition_table/partition-table.bin'), path.join(build, 'partitions.bin'));
  copyFileSync(from('sample_app.bin'), path.join(build, 'firmware.bin'));
  if (opts.keepIdfFiles) {
    copyFileSync(from('flasher_args.json'), path.join(build, 'flasher_args.json'));
    copyFileSync(from('flash_args'), path.join(build, 'flash_args'));
  }
  writeFileSync(path.join(dir, 'platformio.ini'), opts.ini);
  return { dir, build };
}

describe('PlatformIO reader', () => {
  it('Arduino conventions: bootloader at the chip offset, table at 0x8000, firmware at the factory partition', async () => {
    const core = tmp.make('core-');
    const { dir, build } = await pioProject({ chip: 'esp32c3', ini: '[env:dev]\nplatform = espressif32\nboard = esp32-c3-devkitm-1\nframework = arduino\n' });
    const r = await readProject(dir, { platformioCoreDir: core });
    assert.equal(r.kind, 'platformio');
    assert.equal(r.buildDir, build);
    assert.deepEqual(r.problems, [], 'no otadata partition: no boot_app0 needed');
    assert.equal(r.plan.chip, 'esp32c3');
    assert.deepEqual(r.plan.settings, { mode: 'dio', size: '4MB', freq: '80m' });
    assert.match(r.plan.settingsSource!, /^bootloader\.bin header/);
    assert.deepEqual(
      r.plan.segments.map((s) => [s.name, s.offset, path.basename(s.file!)]),
      [
        ['bootloader', 0x0, 'bootloader.bin'],
        ['partition-table', 0x8000, 'partitions.bin'],
        ['app', 0x10000, 'firmware.bin'],
      ],
    );
  });

  it('Arduino with OTA partitions: boot_app0.bin from the framework package, or a warning when it is absent', async () => {
    const ini = '[env:dev]\nboard = esp32dev\nframework = arduino\nboard_upload.flash_size = 8MB\nboard_build.f_flash = 40000000L\n';
    const { dir } = await pioProject({ chip: 'esp32', ini, ota: true });
    const empty = tmp.make('core-');
    const without = await readProject(dir, { platformioCoreDir: empty });
    // boot_app0 missing, plus the sample's 4MB/80m headers against platformio.ini's 8MB/40m.
    assert.equal(without.problems.length, 3, show(without.problems));
    assert.match(without.problems[1].message, /^segment bootloader at 0x1000 .*: the image header says flash size 4MB \(build: 8MB\), flash frequency 80m \(build: 40m\)/);
    assert.match(without.problems[2].message, /^segment app at 0x10000 .*: the app header says flash size 4MB \(build: 8MB\)/);
    assert.match(
      without.problems[0].message,
      /^Arduino writes boot_app0\.bin to the otadata partition \(0xd000\) so the bootloader starts factory; it is not in the build output and was not found \(looked in .*\)\. The plan leaves otadata as it is/,
    );
    assert.equal(without.problems[0].field, 'otadata');
    assert.deepEqual(without.plan.settings, { mode: 'dio', size: '8MB', freq: '40m' }, 'platformio.ini overrides the header');
    assert.match(without.plan.settingsSource!, /\+ platformio\.ini board_upload\.flash_size, board_build\.f_flash$/);

    const core = tmp.make('core-');
    const tools = path.join(core, 'packages', 'framework-arduinoespressif32@3.20017.0', 'tools', 'partitions');
    mkdirSync(tools, { recursive: true });
    writeFileSync(path.join(tools, 'boot_app0.bin'), Buffer.alloc(0x2000, 0xff));
    const withIt = await readProject(dir, { platformioCoreDir: core });
    assert.deepEqual(
      withIt.problems.filter((p) => /boot_app0/.test(p.message)),
      [],
    );
    const ota = withIt.plan.segments.find((s) => s.offset === 0xd000)!;
    assert.equal(ota.file, path.join(tools, 'boot_app0.bin'));
    assert.equal(ota.partition?.label, 'otadata');
  });

  it("ESP-IDF framework: flasher_args.json offsets with PlatformIO's file names", async () => {
    const { dir, build } = await pioProject({ chip: 'esp32s3', ini: '[env:dev]\nboard = esp32-s3-devkitc-1\nframework = espidf\n', keepIdfFiles: true });
    const r = await readProject(dir);
    assert.deepEqual(
      r.plan.segments.map((s) => [s.name, s.offset, path.relative(build, s.file!)]),
      [
        ['bootloader', 0x0, 'bootloader.bin'],
        ['partition-table', 0x8000, 'partitions.bin'],
        ['app', 0x10000, 'firmware.bin'],
        ['storage', 0x110000, 'storage.bin'],
      ],
    );
    const subs = r.problems.filter((p) => /does not exist in .*; using .* instead \(PlatformIO names its outputs/.test(p.message));
    assert.equal(subs.length, 3, show(r.problems));
    assert.ok(
      r.problems.some((p) => p.severity === 'error' && /segment storage at 0x110000 .*the file does not exist/.test(p.message)),
      show(r.problems),
    );
  });

  it('board_build.flash_mode from platformio.ini wins even when the build folder holds flasher_args.json', async () => {
    const { dir } = await pioProject({ chip: 'esp32s3', ini: '[env:dev]\nboard = esp32-s3-devkitc-1\nframework = espidf\nboard_build.flash_mode = dout\n', keepIdfFiles: true });
    const r = await readProject(dir);
    assert.equal(r.plan.settings.mode, 'dout');
    assert.match(r.plan.settingsSource ?? '', /flasher_args\.json.* \+ platformio\.ini board_build\.flash_mode \(wins\)/);
  });

  it("idedata.json: PlatformIO's own flash list wins", async () => {
    const { dir, build } = await pioProject({ chip: 'esp32c3', ini: '[env:dev]\nboard = b\nframework = arduino\n' });
    writeFileSync(
      path.join(build, 'idedata.json'),
      JSON.stringify({
        prog_path: path.join(build, 'firmware.elf'),
        extra: {
          application_offset: '0x20000',
          flash_images: [{ offset: '0x0', path: path.join(build, 'bootloader.bin') }, { offset: '0x8000', path: path.join(build, 'partitions.bin') }, { offset: 'x' }],
        },
      }),
    );
    const r = await readProject(dir);
    assert.deepEqual(
      r.plan.segments.map((s) => [s.name, s.offset, s.origin]),
      [
        ['bootloader', 0x0, 'idedata.json'],
        ['partition-table', 0x8000, 'idedata.json'],
        ['app', 0x20000, 'idedata.json'],
      ],
    );
    assert.ok(
      r.problems.some((p) => /extra\.flash_images entry \{"offset":"x"\} has no usable offset\/path; ignored\./.test(p.message)),
      show(r.problems),
    );
    assert.ok(
      r.problems.some((p) => p.severity === 'warning' && /segment app at 0x20000 .* starts 0x10000 bytes into partition factory \(0x10000\)/.test(p.message)),
      show(r.problems),
    );
  });

  it('chooses the env: default_envs, --env, and says when an env is unknown or unbuilt', async () => {
    const ini = '[platformio]\ndefault_envs = dev\n[env:dev]\nboard = b\nframework = arduino\n[env:other]\nboard = b\n';
    const { dir } = await pioProject({ chip: 'esp32c3', ini });
    const r = await readProject(dir);
    assert.match(r.buildDir!, /\.pio\/build\/dev$/);
    const unknown = await readProject(dir, { env: 'nope' });
    assert.match(unknown.problems[0].message, /platformio\.ini has no env "nope" \(envs: dev, other\)\. Choose one of those envs\./);
    const unbuilt = await readProject(dir, { env: 'other' });
    assert.match(unbuilt.problems[0].message, /^PlatformIO env "other" has not been built: .* does not exist\. Run "pio run -e other" first\./);
    assert.equal(unbuilt.plan.segments.length, 0);
  });
});
