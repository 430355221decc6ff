import { strict as assert } from 'node:assert';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { EM_RISCV } from '../../../src/core/formats/elf';
import { writeAppDescriptor } from '../../../src/core/formats/image_descriptors';
import { parseImage } from '../../../src/core/formats/image_parse';
import type { Problem } from '../../../src/core/plan/problem';
import { readProject } from '../../../src/core/project/read_project';
import { writeSampleIdfBuildDetailed } from '../../fixtures/sample_build';
import { writeElf } from '../formats/elf_writer';
import { IMAGES, describeShared } from '../formats/shared_corpus';
import { tempDirs } from './tmp_dirs';

const tmp = tempDirs();
const show = (ps: Problem[]) => ps.map((p) => `${p.severity}: ${p.message}`).join('\n');

function rustElf(): Uint8Array {
  const desc = writeAppDescriptor({ projectName: 'blinky', version: '0.1.0', idfVersion: '', date: 'Jan 1 2026', time: '00:00:00' });
  return writeElf(EM_RISCV, 0x42000020, [
    { name: '.flash.appdesc', addr: 0x3c000020, data: desc },
    { name: '.text', addr: 0x42000120, data: new Uint8Array(0x400).fill(0x13) },
    { name: '.data', addr: 0x3fc80000, data: new Uint8Array(0x40).fill(0x55) },
  ]);
}

function cargoProject(opts: { triple?: string; config?: string; espflash?: string; elf?: Uint8Array } = {}): { dir: string; elf: string } {
  const dir = tmp.make('cargo-');
  writeFileSync(path.join(dir, 'Cargo.toml'), '[package]\nname = "blinky"\nversion = "0.1.0"\n\n[dependencies]\nesp-hal = { version = "1", features = ["unstable"] }\n');
  const out = path.join(dir, 'target', opts.triple ?? 'riscv32imc-unknown-none-elf', 'release');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'blinky'), opts.elf ?? rustElf());
  writeFileSync(path.join(out, 'blinky.d'), 'deps');
  if (opts.config !== undefined) {
    mkdirSync(path.join(dir, '.cargo'));
    writeFileSync(path.join(dir, '.cargo', 'config.toml'), opts.config);
  }
  if (opts.espflash !== undefined) writeFileSync(path.join(dir, 'espflash.toml'), opts.espflash);
  return { dir, elf: path.join(out, 'blinky') };
}

const RUNNER = '[target.riscv32imc-unknown-none-elf]\nrunner = "espflash flash --monitor --chip esp32c3"\n';

describe('Rust (cargo) reader', () => {
  it('ELF → app image, bootloader and CSV partition table from espflash.toml', async () => {
    const { dir, elf } = cargoProject({
      config: RUNNER,
      espflash: '[idf_format_args]\nbootloader = "boot/bootloader.bin"\npartition_table = "partitions.csv"\n\n[flash]\nsize = "4MB"\n',
    });
    const sample = await writeSampleIdfBuildDetailed(tmp.make(), { chip: 'esp32c3' });
    mkdirSync(path.join(dir, 'boot'));
    copyFileSync(path.join(sample.buildDir, 'bootloader/bootloader.bin'), path.join(dir, 'boot', 'bootloader.bin'));
    writeFileSync(path.join(dir, 'partitions.csv'), 'nvs, data, nvs, 0x9000, 0x6000,\nphy_init, data, phy, 0xf000, 0x1000,\nfactory, app, factory, 0x20000, 1M,\n');
    const r = await readProject(dir);
    assert.equal(r.kind, 'rust');
    assert.deepEqual(r.problems, [], show(r.problems));
    assert.equal(r.plan.chip, 'esp32c3');
    assert.deepEqual(r.plan.settings, { mode: 'keep', size: '4MB', freq: 'keep' });
    assert.deepEqual(
      r.plan.segments.map((s) => [s.name, s.offset, s.role]),
      [
        ['bootloader', 0x0, 'bootloader'],
        ['partition-table', 0x8000, 'partition-table'],
        ['app', 0x20000, 'app'],
      ],
    );
    const app = r.plan.segments[2];
    assert.equal(app.file, elf);
    assert.equal(app.partition?.label, 'factory');
    const info = parseImage(app.bytes).info!;
    assert.equal(info.chipId, 5);
    assert.equal(info.appDesc?.projectName, 'blinky');
    assert.equal(info.flashSize, '4MB');
    assert.equal(info.flashFreq, '80m', 'frequency of the bootloader header');
    assert.deepEqual(
      r.plan.partitions?.map((p) => p.label),
      ['nvs', 'phy_init', 'factory'],
    );
    assert.match(r.plan.segments[1].origin!, /espflash\.toml/);
  });

  it('without bootloader and table: an app-only plan at 0x10000 and a warning that says so', async () => {
    const { dir } = cargoProject({ config: RUNNER });
    const r = await readProject(dir);
    assert.deepEqual(
      r.plan.segments.map((s) => [s.name, s.offset]),
      [['app', 0x10000]],
    );
    assert.equal(r.problems.length, 1, show(r.problems));
    assert.match(
      r.problems[0].message,
      /^No bootloader and partition table for this Rust project: the plan writes only the app at 0x10000 \(the default factory offset\)\. The device must already hold a compatible bootloader and partition table\./,
    );
  });

  it("uses esp-idf-sys's bootloader.bin and partition-table.bin beside the ELF", async () => {
    const { dir, elf } = cargoProject({ triple: 'riscv32imc-esp-espidf', config: RUNNER });
    const sample = await writeSampleIdfBuildDetailed(tmp.make(), { chip: 'esp32c3', ota: true });
    copyFileSync(path.join(sample.buildDir, 'bootloader/bootloader.bin'), path.join(path.dirname(elf), 'bootloader.bin'));
    copyFileSync(path.join(sample.buildDir, 'partition_table/partition-table.bin'), path.join(path.dirname(elf), 'partition-table.bin'));
    const r = await readProject(dir);
    assert.deepEqual(r.problems, [], show(r.problems));
    assert.deepEqual(
      r.plan.segments.map((s) => [s.name, s.offset]),
      [
        ['bootloader', 0x0],
        ['partition-table', 0x8000],
        ['app', 0x10000],
      ],
    );
    assert.match(r.plan.segments[0].origin!, /built by esp-idf-sys/);
  });

  it('a target triple shared by several chips needs the chip from somewhere', async () => {
    const { dir } = cargoProject();
    const r = await readProject(dir);
    assert.equal(r.plan.segments.length, 0);
    assert.match(
      r.problems[0].message,
      /Cannot tell which chip target\/riscv32imc-unknown-none-elf\/release\/blinky is for: target riscv32imc-unknown-none-elf fits esp32c2, esp32c3\. Set the chip/,
    );
    const withChip = await readProject(dir, { chip: 'esp32c2' });
    assert.equal(withChip.plan.chip, 'esp32c2');
    assert.equal(withChip.plan.segments[0].image?.chipId, 12);
  });

  it('an ELF that cannot be converted, and a project that was never built: problems, not exceptions', async () => {
    const good = rustElf();
    const { dir } = cargoProject({ config: RUNNER, elf: good.subarray(0, 300) });
    const r = await readProject(dir);
    assert.ok(
      r.problems.some((p) => p.severity === 'error' && /the ELF is truncated.*The app image cannot be made from this ELF\./.test(p.message)),
      show(r.problems),
    );
    const empty = tmp.make('cargo-');
    writeFileSync(path.join(empty, 'Cargo.toml'), '[package]\nname = "x"\n');
    const none = await readProject(empty);
    assert.equal(none.kind, 'rust');
    assert.match(none.problems[0].message, /^No firmware ELF for crate "x" under .*target\/<target-triple>\/<profile>\/\. Build it first \(cargo build --release\)\./);
  });
});

describeShared('Rust reader with ../shared/images/esp32c6-appdesc.elf', () => {
  it('converts the ESP32-C6 ELF found under target/ into the app segment', async () => {
    const elf = new Uint8Array(readFileSync(path.join(IMAGES, 'esp32c6-appdesc.elf')));
    const { dir } = cargoProject({ triple: 'riscv32imac-unknown-none-elf', elf, config: '[target.riscv32imac-unknown-none-elf]\nrunner = "espflash flash --chip esp32c6"\n' });
    const r = await readProject(dir);
    assert.equal(r.plan.chip, 'esp32c6');
    const app = r.plan.segments[0];
    assert.equal(app.image?.segmentCount, 1);
    assert.equal(app.image?.segments[0].addr, 0x42000020);
    assert.equal(app.bytes.length, 336);
  });
});

describe('Rust reader: binary names', () => {
  it('finds an ELF whose name differs from the package name ([[bin]] name)', async () => {
    const { dir, elf } = cargoProject({ config: RUNNER });
    const renamed = path.join(path.dirname(elf), 'firmware');
    writeFileSync(renamed, readFileSync(elf));
    rmSync(elf);
    const r = await readProject(dir);
    assert.equal(r.plan.segments[0]?.file, renamed, show(r.problems));
  });
});
