import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { FlashSettings } from '../../../src/core/plan/flash_plan';
import { planToJson } from '../../../src/core/plan/plan_json';
import { readProject, type ReadProjectResult } from '../../../src/core/project/read_project';
import { CORPUS, describeShared } from '../formats/shared_corpus';

interface Expected {
  set: string;
  kind: 'esp-idf' | 'platformio';
  chip: string;
  settings: FlashSettings;
  fe: 'off' | 'development' | undefined;
  table: number;
  reset?: [string | undefined, string | undefined, boolean | undefined];
  /** name, offset, file relative to the set folder, encrypt */
  segments: [string, number, string, boolean][];
  partitions: string[];
  problems: RegExp[];
}

const PIO17 = '.pio/build/esp32-c3-devkitm-1';
const EXPECTED: Expected[] = [
  {
    set: '01-esp32-idf4.4-flashenc',
    kind: 'esp-idf',
    chip: 'esp32',
    settings: { mode: 'dio', size: 'detect', freq: '40m' },
    fe: 'development',
    table: 0x10000,
    reset: ['default-reset', 'no-reset', true],
    segments: [
      ['bootloader', 0x1000, 'bootloader/bootloader.bin', true],
      ['partition-table', 0x10000, 'partition_table/partition-table.bin', true],
      ['app', 0x20000, 'rsa_encrypt_decrypt.bin', true],
    ],
    partitions: ['nvs', 'phy_init', 'factory'],
    problems: [],
  },
  {
    set: '02-esp32s3-idf5.0-flashenc-storage',
    kind: 'esp-idf',
    chip: 'esp32s3',
    settings: { mode: 'dio', size: '8MB', freq: '80m' },
    fe: 'development',
    table: 0x8000,
    reset: ['default-reset', 'no-reset', false],
    segments: [
      ['bootloader', 0x0, 'bootloader/bootloader.bin', true],
      ['partition-table', 0x8000, 'partition_table/partition-table.bin', true],
      ['app', 0x20000, 'wifi_softAP.bin', true],
      ['storage', 0x120000, 'storage.bin', false],
    ],
    partitions: ['nvs', 'nvs_keys', 'phy_init', 'factory', 'storage'],
    problems: [],
  },
  {
    set: '04-esp32c5-idf6-www',
    kind: 'esp-idf',
    chip: 'esp32c5',
    settings: { mode: 'dio', size: '2MB', freq: '80m' },
    fe: 'off',
    table: 0x8000,
    reset: ['default-reset', 'hard-reset', true],
    segments: [
      ['bootloader', 0x2000, 'bootloader/bootloader.bin', false],
      ['partition-table', 0x8000, 'partition_table/partition-table.bin', false],
      ['app', 0x10000, 'wifi_repeater.bin', false],
      ['www', 0x110000, 'www.bin', false],
    ],
    partitions: ['nvs', 'phy_init', 'factory', 'www'],
    problems: [],
  },
  {
    set: '06-esp32s2-ota-littlefs',
    kind: 'esp-idf',
    chip: 'esp32s2',
    settings: { mode: 'dio', size: 'detect', freq: '80m' },
    fe: 'off',
    table: 0x8000,
    segments: [
      ['bootloader', 0x1000, 'bootloader/bootloader.bin', false],
      ['partition-table', 0x8000, 'partition_table/partition-table.bin', false],
      ['otadata', 0xd000, 'ota_data_initial.bin', false],
      ['app', 0x10000, 'touch_element_waterproof.bin', false],
    ],
    partitions: ['nvs', 'otadata', 'phy_init', 'factory', 'ota_0', 'ota_1'],
    problems: [
      /^littlefs-flash_args names littlefs\.bin at 0x310000, which the project's flash list \(flasher_args\.json\) does not include and no partition covers; not flashed\./,
    ],
  },
  {
    set: '07-esp32c2-60m',
    kind: 'esp-idf',
    chip: 'esp32c2',
    settings: { mode: 'dio', size: '2MB', freq: '60m' },
    fe: 'off',
    table: 0x8000,
    segments: [
      ['bootloader', 0x0, 'bootloader/bootloader.bin', false],
      ['partition-table', 0x8000, 'partition_table/partition-table.bin', false],
      ['app', 0x10000, 'sht40.bin', false],
    ],
    partitions: ['nvs', 'phy_init', 'factory'],
    problems: [],
  },
  {
    set: '08-esp32h2-48m',
    kind: 'esp-idf',
    chip: 'esp32h2',
    settings: { mode: 'dio', size: '2MB', freq: '48m' },
    fe: 'off',
    table: 0x8000,
    segments: [
      ['bootloader', 0x0, 'bootloader/bootloader.bin', false],
      ['partition-table', 0x8000, 'partition_table/partition-table.bin', false],
      ['app', 0x10000, 'esp32h2-helloworld.bin', false],
    ],
    partitions: ['nvs', 'phy_init', 'factory', 'zb_storage', 'zb_fct'],
    problems: [],
  },
  {
    set: '09-esp32c6-ota',
    kind: 'esp-idf',
    chip: 'esp32c6',
    settings: { mode: 'dio', size: '4MB', freq: '80m' },
    fe: 'off',
    table: 0x8000,
    segments: [
      ['bootloader', 0x0, 'bootloader/bootloader.bin', false],
      ['partition-table', 0x8000, 'partition_table/partition-table.bin', false],
      ['otadata', 0xf000, 'ota_data_initial.bin', false],
      ['app', 0x20000, 'simple_ota.bin', false],
    ],
    partitions: ['nvs', 'otadata', 'phy_init', 'ota_0', 'ota_1'],
    problems: [],
  },
  {
    set: '11-esp32c3-storage',
    kind: 'esp-idf',
    chip: 'esp32c3',
    settings: { mode: 'dio', size: 'detect', freq: '80m' },
    fe: 'off',
    table: 0x8000,
    segments: [
      ['bootloader', 0x0, 'bootloader/bootloader.bin', false],
      ['partition-table', 0x8000, 'partition_table/partition-table.bin', false],
      ['app', 0x10000, 'st7789.bin', false],
      ['storage', 0x110000, 'storage.bin', false],
    ],
    partitions: ['nvs', 'phy_init', 'factory', 'storage'],
    problems: [],
  },
  {
    set: '12-esp32-idf4.1-stub-TRUE',
    kind: 'esp-idf',
    chip: 'esp32',
    settings: { mode: 'dio', size: 'detect', freq: '40m' },
    fe: 'off',
    table: 0x8000,
    reset: ['default-reset', 'hard-reset', true],
    segments: [
      ['bootloader', 0x1000, 'bootloader/bootloader.bin', false],
      ['partition-table', 0x8000, 'partition_table/partition-table.bin', false],
      ['app', 0x10000, 'smart_config.bin', false],
    ],
    partitions: ['nvs', 'phy_init', 'factory'],
    problems: [],
  },
  {
    set: '15-pio-arduino-esp32-ota',
    kind: 'platformio',
    chip: 'esp32',
    settings: { mode: 'dio', size: '4MB', freq: '40m' },
    fe: undefined,
    table: 0x8000,
    segments: [
      ['bootloader', 0x1000, '.pio/build/esp32dev/bootloader.bin', false],
      ['partition-table', 0x8000, '.pio/build/esp32dev/partitions.bin', false],
      ['app', 0x10000, '.pio/build/esp32dev/firmware.bin', false],
    ],
    partitions: ['nvs', 'otadata', 'app0', 'app1', 'spiffs', 'coredump'],
    problems: [/^Arduino writes boot_app0\.bin to the otadata partition \(0xe000\) so the bootloader starts app0; it is not in the build output and was not found/],
  },
  {
    set: '17-pio-espidf-esp32c3',
    kind: 'platformio',
    chip: 'esp32c3',
    settings: { mode: 'dio', size: '2MB', freq: '80m' },
    fe: 'off',
    table: 0x8000,
    reset: ['default-reset', 'hard-reset', true],
    segments: [
      ['bootloader', 0x0, `${PIO17}/bootloader.bin`, false],
      ['partition-table', 0x8000, `${PIO17}/partitions.bin`, false],
      ['app', 0x10000, `${PIO17}/firmware.bin`, false],
    ],
    partitions: ['nvs', 'phy_init', 'factory'],
    problems: [
      /flash_files 0x0: bootloader\/bootloader\.bin does not exist in .*; using bootloader\.bin instead \(PlatformIO names its outputs/,
      /flash_files 0x10000: prova_espidf\.bin does not exist in .*; using firmware\.bin instead/,
      /flash_files 0x8000: partition_table\/partition-table\.bin does not exist in .*; using partitions\.bin instead/,
      /segment bootloader at 0x0 .*: the image header says flash size 4MB \(build: 2MB\) .* The build's settings win: the flasher writes them into the bootloader header at 0x0/,
      /segment app at 0x10000 .*: the app header says flash size 4MB \(build: 2MB\) .* App headers are written as built/,
    ],
  },
];

describeShared('readProject on every corpus set', () => {
  let emptyCore: string;
  before(() => {
    emptyCore = mkdtempSync(path.join(tmpdir(), 'pio-core-'));
  });
  after(() => rmSync(emptyCore, { recursive: true, force: true }));

  const results = new Map<string, ReadProjectResult>();
  const read = async (set: string) => {
    if (!results.has(set)) results.set(set, await readProject(path.join(CORPUS, set), { platformioCoreDir: emptyCore }));
    return results.get(set)!;
  };

  for (const e of EXPECTED) {
    it(`${e.set}: the plan a careful engineer would write`, async () => {
      const r = await read(e.set);
      const dir = path.join(CORPUS, e.set);
      assert.equal(r.kind, e.kind);
      assert.equal(r.plan.chip, e.chip);
      assert.deepEqual(r.plan.settings, e.settings);
      assert.equal(r.plan.flashEncryption, e.fe);
      assert.equal(r.plan.partitionTableOffset, e.table);
      if (e.reset) assert.deepEqual([r.plan.before, r.plan.after, r.plan.stub], e.reset);
      assert.deepEqual(
        r.plan.segments.map((s) => [s.name, s.offset, path.relative(dir, s.file ?? ''), s.encrypt]),
        e.segments,
      );
      for (const s of r.plan.segments) assert.equal(s.bytes.length, statSync(s.file!).size, `${s.name} bytes are the whole file`);
      assert.deepEqual(
        r.plan.partitions?.map((p) => p.label),
        e.partitions,
      );
      const msgs = r.problems.map((p) => `${p.severity}: ${p.message}`);
      assert.equal(r.problems.length, e.problems.length, msgs.join('\n'));
      for (const re of e.problems)
        assert.ok(
          r.problems.some((p) => re.test(p.message)),
          `expected ${re}\n${msgs.join('\n')}`,
        );
      assert.ok(
        r.problems.every((p) => p.severity === 'warning'),
        msgs.join('\n'),
      );
    });
  }

  it('segments carry their partition, role, image facts and why they are (not) encrypted', async () => {
    const r02 = await read('02-esp32s3-idf5.0-flashenc-storage');
    const app = r02.plan.segments.find((s) => s.name === 'app')!;
    assert.equal(app.partition?.label, 'factory');
    assert.equal(app.role, 'app');
    assert.equal(app.encryptSource, 'flasher_args.json "app": "encrypted": "true"');
    assert.equal(app.image?.chip, 'esp32s3');
    assert.equal(app.image?.appDesc?.idfVersion, 'v5.0.2-dirty');
    const storage = r02.plan.segments.find((s) => s.name === 'storage')!;
    assert.equal(storage.encryptSource, 'flasher_args.json "storage": "encrypted": "false"');
    assert.equal(storage.image, undefined);
    assert.equal(r02.plan.partitions?.find((p) => p.label === 'nvs_keys')?.encryptByDefault, true);

    const r12 = await read('12-esp32-idf4.1-stub-TRUE');
    assert.ok(r12.plan.segments.every((s) => s.encryptSource === 'flash encryption is off (sdkconfig)'));
    assert.equal(r12.plan.segments[0].role, 'bootloader');

    const r07 = await read('07-esp32c2-60m');
    const boot = r07.plan.segments.find((s) => s.role === 'bootloader')!;
    assert.equal(boot.image?.bootloaderDesc?.idfVersion, 'v5.3.1');
    assert.equal(boot.image?.flashFreq, '60m');
    assert.equal(r07.plan.segments.find((s) => s.role === 'app')?.image?.appDesc?.projectName, 'sht40');

    const r09 = await read('09-esp32c6-ota');
    assert.equal(r09.plan.segments.find((s) => s.name === 'app')?.partition?.label, 'ota_0');
    assert.equal(r09.plan.segments.find((s) => s.name === 'otadata')?.role, 'otadata');
  });

  it('planToJson gives the same plan without byte arrays', async () => {
    const r = await read('02-esp32s3-idf5.0-flashenc-storage');
    const json = planToJson(r.plan);
    const text = JSON.stringify(json);
    assert.ok(!text.includes('"bytes"'));
    const back = JSON.parse(text);
    assert.deepEqual(
      back.segments.map((s: { name: string; offsetHex: string; size: number; encrypt: boolean }) => [s.name, s.offsetHex, s.size, s.encrypt]),
      [
        ['bootloader', '0x0', 31184, true],
        ['partition-table', '0x8000', 3072, true],
        ['app', '0x20000', 817264, true],
        ['storage', '0x120000', 2097152, false],
      ],
    );
    assert.equal(back.partitions.length, 5);
    assert.equal(back.flashEncryption, 'development');
    assert.equal(back.segments[2].image.appDesc.projectName, 'wifi_softAP');
  });

  it('finds a PlatformIO build from its build folder, and Arduino boot_app0.bin in the PlatformIO packages', async () => {
    const core = mkdtempSync(path.join(tmpdir(), 'pio-core-'));
    try {
      const tools = path.join(core, 'packages', 'framework-arduinoespressif32', 'tools', 'partitions');
      mkdirSync(tools, { recursive: true });
      writeFileSync(path.join(tools, 'boot_app0.bin'), Buffer.alloc(0x2000, 0xff));
      const r = await readProject(path.join(CORPUS, '15-pio-arduino-esp32-ota', '.pio', 'build', 'esp32dev'), { platformioCoreDir: core });
      assert.equal(r.kind, 'platformio');
      assert.equal(r.buildDir, path.join(CORPUS, '15-pio-arduino-esp32-ota', '.pio', 'build', 'esp32dev'));
      const ota = r.plan.segments.find((s) => s.offset === 0xe000)!;
      assert.equal(ota.file, path.join(tools, 'boot_app0.bin'));
      assert.equal(ota.role, 'otadata');
      assert.equal(ota.partition?.label, 'otadata');
      assert.deepEqual(r.problems, []);
    } finally {
      rmSync(core, { recursive: true, force: true });
    }
  });

  it('from a workspace holding every set: picks one and says there are several', async () => {
    const r = await readProject(CORPUS, { platformioCoreDir: emptyCore });
    assert.notEqual(r.kind, 'none');
    assert.match(r.problems[0].message, /^.*corpus holds several projects \(.*\); using .* \(most recently built\)\. Open the one you want to be sure\.$/);
    for (const e of EXPECTED) assert.ok(r.problems[0].message.includes(e.set), e.set);
    assert.ok(r.plan.segments.length >= 3);
  });
});
