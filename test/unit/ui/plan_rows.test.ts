import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FlashPlan, PlanSegment } from '../../../src/core/plan/flash_plan';
import { readProject } from '../../../src/core/project/read_project';
import { segmentsFromPlan } from '../../../src/core/flash/segments_from_plan';
import { planProblemsWithDevice } from '../../../src/core/plan/check_plan';
import { judgedView, planHeadline, planRows, treeWriteKind, type ProjectView, type TreeDevice } from '../../../src/ui/plan_rows';

const SHARED = path.resolve(__dirname, '../../..', '../shared');
const CORPUS = path.join(SHARED, 'corpus');

function seg(name: string, offset: number, size: number, encrypt: boolean, extra: Partial<PlanSegment> = {}): PlanSegment {
  return { name, offset, bytes: new Uint8Array(size), encrypt, ...extra };
}

describe('ui/plan_rows (synthetic plan)', () => {
  const plan: FlashPlan = {
    chip: 'esp32c3',
    settings: { mode: 'dio', size: '4MB', freq: '80m' },
    segments: [seg('app', 0x10000, 0x1000, true, { file: '/b/app.bin', encryptSource: 'flasher_args.json' }), seg('bootloader', 0x0, 0x800, true)],
    partitions: [
      { label: 'nvs', type: 1, subtype: 2, typeName: 'data', subtypeName: 'nvs', offset: 0x9000, size: 0x6000, encrypted: false },
      { label: 'factory', type: 0, subtype: 0, typeName: 'app', subtypeName: 'factory', offset: 0x10000, size: 0x100000, encrypted: false },
    ],
  };
  const view: ProjectView = {
    plan,
    problems: [{ severity: 'warning', message: 'stale littlefs.bin', file: '/b/littlefs-flash_args', field: 'littlefs' }],
    kind: 'esp-idf',
    buildDir: '/b',
    looked: [],
  };

  it('lists problems first, then segments and image-less partitions by offset', () => {
    const rows = planRows(view, (s) => s.name !== 'app');
    assert.deepEqual(
      rows.map((r) => `${r.kind}:${r.label}:${r.checked ?? '-'}`),
      ['problem:stale littlefs.bin:-', 'segment:bootloader:true', 'partition:nvs:-', 'segment:app:false'],
    );
    const app = rows[3];
    assert.equal(app.description, '0x10000 · 4 KiB · factory (app/factory)');
    assert.equal(app.contextValue, 'segment.partition');
    assert.equal(app.partitionLabel, 'factory');
    assert.match(app.tooltip, /Encrypt with "Flash \(Encrypted\)": no; build default yes \(flasher_args.json\)/);
    assert.equal(rows[2].description, '0x9000 · 24 KiB · data/nvs · no image');
    assert.equal(rows[2].checked, undefined);
    assert.equal(rows[0].icon, 'warning');
    assert.equal(rows[0].description, 'littlefs · littlefs-flash_args');
  });

  it('puts the image facts into the tooltip and survives a describe() that throws', () => {
    const rows = planRows(
      view,
      () => true,
      (s) => {
        if (s.name === 'bootloader') throw new Error('bad image');
        return { chip: 'ESP32-C3', project: 'blink', version: '1.2', idfVersion: 'v5.3.1', date: 'Jan 14 2025', time: '11:24:15' };
      },
    );
    const app = rows.find((r) => r.segmentName === 'app')!;
    assert.match(app.tooltip, /Image for: ESP32-C3\nProject: blink\nVersion: 1.2\nESP-IDF: v5.3.1\nBuilt: Jan 14 2025 11:24:15/);
    assert.doesNotMatch(rows.find((r) => r.segmentName === 'bootloader')!.tooltip, /Project:/);
  });

  it('has a headline naming the build, chip and flash settings, or what was looked for', () => {
    assert.equal(planHeadline(view), 'ESP-IDF build: /b · ESP32-C3 · dio 4MB 80m');
    // The tree passes a display function: the build folder relative to the workspace.
    assert.equal(
      planHeadline(view, (p) => (p === '/b' ? 'build' : p)),
      'ESP-IDF build: build · ESP32-C3 · dio 4MB 80m',
    );
    assert.equal(
      planHeadline({ plan: { settings: plan.settings, segments: [] }, problems: [], kind: 'none', looked: ['/w/build/flasher_args.json', '/w/platformio.ini'] }),
      'No build output found. Looked for: /w/build/flasher_args.json, /w/platformio.ini',
    );
  });
});

describe('ui/plan_rows (real build output)', () => {
  if (!fs.existsSync(CORPUS)) {
    it('shared corpus not present: skipped', function () {
      console.log(`      ${CORPUS} not present: corpus tests skipped`);
      this.skip();
    });
    return;
  }

  it('02 (ESP32-S3, flash encryption): encrypt boxes follow the build, storage unchecked, nvs shown without a box', async () => {
    const r = await readProject(path.join(CORPUS, '02-esp32s3-idf5.0-flashenc-storage'));
    const rows = planRows(r, (s) => s.encrypt);
    const shown = rows.filter((x) => x.kind !== 'problem').map((x) => `${x.label}${x.checked === undefined ? '' : x.checked ? '[x]' : '[ ]'}`);
    assert.deepEqual(shown, ['bootloader[x]', 'partition-table[x]', 'nvs', 'nvs_keys', 'phy_init', 'app[x]', 'storage[ ]']);
    assert.equal(rows.find((x) => x.label === 'storage')!.description, '0x120000 · 2 MiB · storage (data/spiffs)');
  });

  it('06 (stale littlefs.bin): the reader’s warning becomes a warning row pointing at the file', async () => {
    const r = await readProject(path.join(CORPUS, '06-esp32s2-ota-littlefs'));
    const problems = planRows(r, () => false).filter((x) => x.kind === 'problem');
    assert.ok(
      problems.some((p) => p.icon === 'warning' && /littlefs\.bin/.test(p.label)),
      JSON.stringify(problems.map((p) => p.label)),
    );
  });

  // Issue 12, the editor case: after Read Device Info the tree judges with the device's facts and
  // the header that will be written (the build's "detect" patches the bootloader header).
  describe('01 (ESP32, flash size "detect", headers 8MB) after Read Device Info on a 4 MB chip', () => {
    const MB = 1024 * 1024;
    const core = { segmentsFromPlan, planProblemsWithDevice };
    /** The tree's rows after Read Device Info on `readOn` (the chosen port is 'P'), the boxes as `checked` says. */
    const rowsFor = async (device: TreeDevice | undefined, checked: (name: string) => boolean, size?: string, readOn = 'P') => {
      const r = await readProject(path.join(CORPUS, '01-esp32-idf4.4-flashenc'));
      if (size) r.plan.settings = { ...r.plan.settings, size };
      const overrides = Object.fromEntries(r.plan.segments.map((s) => [s.name, checked(s.name)]));
      const view = judgedView(r, device && { port: readOn, info: device }, 'P', { overrides, mode: 'device' }, core);
      return planRows(view, (s) => checked(s.name)).filter((x) => x.kind === 'problem');
    };
    const coded = (rows: Awaited<ReturnType<typeof rowsFor>>) => rows.filter((x) => x.code).map((x) => `${x.severity} ${x.code} ${/segment "(\w[\w-]*)"/.exec(x.label)?.[1]}`);

    it('no device read: no rule that needs one', async () => {
      assert.deepEqual(coded(await rowsFor(undefined, () => true)), []);
    });

    it('Development mode, every box checked (Flash (Encrypted)): no refusal; the bootloader header is judged as patched to 4MB, only the app header (written as built) is warned about', async () => {
      const device: TreeDevice = { chip: 'esp32', flashSize: 4 * MB, flashEncryption: 'development' };
      assert.equal(treeWriteKind(device), 'encrypted');
      const rows = await rowsFor(device, () => true);
      assert.deepEqual(coded(rows), ['warning header-flash-size app']);
      assert.ok(!rows.some((x) => x.severity === 'error'), rows.map((x) => x.label).join('\n'));
    });

    it('Development mode, the app box unchecked: the tree shows the plaintext refusal the job would give, overridable', async () => {
      const rows = await rowsFor({ chip: 'esp32', flashSize: 4 * MB, flashEncryption: 'development' }, (n) => n !== 'app');
      assert.deepEqual(coded(rows), ['error plaintext-in-encrypted-region app', 'warning header-flash-size app']);
      const row = rows.find((x) => x.code === 'plaintext-in-encrypted-region')!;
      assert.equal(row.overridable, true);
      assert.match(row.label, /partition factory \(app\/factory, encrypted by default/);
    });

    it('a device read on another port says nothing about the chosen one', async () => {
      const rows = await rowsFor({ chip: 'esp32', flashSize: 4 * MB, flashEncryption: 'development' }, (n) => n !== 'app', undefined, 'Q');
      assert.deepEqual(coded(rows), []);
    });

    it('a flash size setting of 16MB: the patched bootloader header is warned about', async () => {
      const rows = await rowsFor({ chip: 'esp32', flashSize: 4 * MB, flashEncryption: 'off' }, () => true, '16MB');
      assert.ok(coded(rows).includes('warning header-flash-size bootloader'), coded(rows).join('\n'));
    });
  });
});
