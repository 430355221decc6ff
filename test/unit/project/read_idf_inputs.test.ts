import { strict as assert } from 'node:assert';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Problem } from '../../../src/core/plan/problem';
import { readProject } from '../../../src/core/project/read_project';
import { writeSampleIdfBuild } from '../../fixtures/sample_build';
import { tempDirs } from './tmp_dirs';

const tmp = tempDirs();
const show = (ps: Problem[]) => ps.map((p) => `${p.severity}: ${p.message}`).join('\n');
const errors = (ps: Problem[]) => ps.filter((p) => p.severity === 'error');
const warnings = (ps: Problem[]) => ps.filter((p) => p.severity === 'warning');

async function sample(opts: { flashEncryption?: 'off' | 'development'; ota?: boolean } = {}): Promise<string> {
  return writeSampleIdfBuild(tmp.make(), { chip: 'esp32c3', ...opts });
}
const edit = (file: string, f: (s: string) => string) => writeFileSync(file, f(readFileSync(file, 'utf8')));

describe('ESP-IDF reader: damaged and disagreeing inputs', () => {
  it('truncated flasher_args.json: one warning, the plan from flash_args with marks from encrypted_flash_args', async () => {
    const b = await sample({ flashEncryption: 'development' });
    const json = path.join(b, 'flasher_args.json');
    writeFileSync(json, readFileSync(json, 'utf8').slice(0, 200));
    const r = await readProject(b);
    assert.equal(r.problems.length, 1, show(r.problems));
    assert.equal(r.problems[0].severity, 'warning');
    assert.match(r.problems[0].message, /flasher_args\.json is not valid JSON .*; the plan comes from flash_args instead \(encrypted marks from encrypted_flash_args\)\.$/);
    assert.deepEqual(
      r.plan.segments.map((s) => [s.name, s.offset, s.encrypt]),
      [
        ['bootloader', 0x0, true],
        ['partition-table', 0x8000, true],
        ['app', 0x10000, true],
        ['storage', 0x110000, false],
      ],
    );
    assert.equal(r.plan.segments[2].encryptSource, 'encrypted_flash_args: listed after --encrypt-files');
    assert.equal(r.plan.segments[3].encryptSource, 'encrypted_flash_args: listed as a plain file');
    assert.deepEqual(r.plan.settings, { mode: 'dio', size: '4MB', freq: '80m' });
  });

  it('truncated flasher_args.json and no flash_args: an error, no exception', async () => {
    const b = await sample();
    writeFileSync(path.join(b, 'flasher_args.json'), '{ "flash_files": { "0x0": ');
    rmSync(path.join(b, 'flash_args'));
    const r = await readProject(b);
    assert.ok(
      errors(r.problems).some((p) => /flasher_args\.json is not valid JSON/.test(p.message)),
      show(r.problems),
    );
    assert.ok(
      errors(r.problems).some((p) => /nothing to flash/.test(p.message)),
      show(r.problems),
    );
    assert.equal(r.plan.segments.length, 0);
  });

  it('wrong types in flasher_args.json: warnings naming the field; the named entries still give the plan', async () => {
    const b = await sample();
    edit(path.join(b, 'flasher_args.json'), (s) => {
      const j = JSON.parse(s);
      j.flash_files = 'everything';
      j.flash_settings = ['dio'];
      j.storage.encrypted = 7;
      return JSON.stringify(j);
    });
    const r = await readProject(b);
    assert.equal(errors(r.problems).length, 0, show(r.problems));
    const w = warnings(r.problems).map((p) => p.message);
    assert.ok(
      w.some((m) => /flash_files should be an object of offset → file, found "everything"; ignored\./.test(m)),
      w.join('\n'),
    );
    assert.ok(
      w.some((m) => /flash_settings should be an object, found \["dio"\]; ignored\./.test(m)),
      w.join('\n'),
    );
    assert.ok(
      w.some((m) => /"storage"\.encrypted should be "true" or "false", found 7; treated as absent\./.test(m)),
      w.join('\n'),
    );
    assert.deepEqual(
      r.plan.segments.map((s) => s.name),
      ['bootloader', 'partition-table', 'app', 'storage'],
    );
    assert.deepEqual(r.plan.settings, { mode: 'dio', size: '4MB', freq: '80m' }, 'from write_flash_args');
  });

  it('partition table with a bad MD5, app with a bad magic: errors naming file and offset', async () => {
    const b = await sample();
    const pt = path.join(b, 'partition_table/partition-table.bin');
    const t = readFileSync(pt);
    t[12] ^= 0x20;
    writeFileSync(pt, t);
    const app = path.join(b, 'sample_app.bin');
    const a = readFileSync(app);
    a[0] = 0x00;
    writeFileSync(app, a);
    const r = await readProject(b);
    const e = errors(r.problems).map((p) => p.message);
    assert.ok(
      e.some((m) => m.startsWith(`${pt}: partition table MD5 mismatch at offset 0x80`)),
      e.join('\n'),
    );
    assert.ok(
      e.some((m) => m.startsWith(`${app}: bad image magic 0x0 at offset 0`)),
      e.join('\n'),
    );
    assert.equal(r.plan.segments.find((s) => s.name === 'app')?.image, undefined);
  });

  it('missing and empty files: errors that say where the file was listed', async () => {
    const b = await sample();
    rmSync(path.join(b, 'sample_app.bin'));
    writeFileSync(path.join(b, 'storage.bin'), '');
    const r = await readProject(b);
    const e = errors(r.problems).map((p) => p.message);
    assert.equal(e.length, 2, show(r.problems));
    assert.match(e[0], /^segment app at 0x10000 \(.*sample_app\.bin\): the file does not exist \(listed by flasher_args\.json flash_files 0x10000\)\. Build the project/);
    assert.match(e[1], /^segment storage at 0x110000 \(.*storage\.bin\): the file is empty \(0 bytes\); nothing would be written/);
  });

  it('never flashes a stray <name>-flash_args pair; adds what flash_args lists but the JSON lacks', async () => {
    const b = await sample({ ota: true });
    writeFileSync(path.join(b, 'littlefs.bin'), Buffer.alloc(0x1000, 1));
    writeFileSync(path.join(b, 'littlefs-flash_args'), '--flash_mode dio --flash_freq 80m --flash_size 4MB\n0x300000 littlefs.bin\n');
    writeFileSync(path.join(b, 'flash_storage_old_args'), '0x118000 littlefs.bin\n');
    writeFileSync(path.join(b, 'extra.bin'), Buffer.alloc(0x100, 2));
    edit(path.join(b, 'flash_args'), (s) => s + '0x250000 extra.bin\n');
    const r = await readProject(b);
    assert.ok(!r.plan.segments.some((s) => s.offset === 0x300000 || s.offset === 0x118000), 'stray pairs not flashed');
    const w = warnings(r.problems).map((p) => p.message);
    assert.ok(
      w.some((m) =>
        /^littlefs-flash_args names littlefs\.bin at 0x300000, which the project's flash list \(flasher_args\.json\) does not include and no partition covers; not flashed\./.test(
          m,
        ),
      ),
      w.join('\n'),
    );
    assert.ok(
      w.some((m) => /^flash_storage_old_args names littlefs\.bin at 0x118000, .* \(it would land in partition ota_0\); not flashed\./.test(m)),
      w.join('\n'),
    );
    assert.ok(
      w.some((m) => /^flash_args lists extra\.bin at 0x250000, which flasher_args\.json lacks; added from flash_args\./.test(m)),
      w.join('\n'),
    );
    const extra = r.plan.segments.find((s) => s.offset === 0x250000)!;
    assert.equal(extra.name, 'extra');
    assert.equal(extra.origin, 'flash_args line 7');
  });

  it('flasher_args.json without flash_files uses its named entries', async () => {
    const b = await sample();
    edit(path.join(b, 'flasher_args.json'), (s) => {
      const j = JSON.parse(s);
      delete j.flash_files;
      return JSON.stringify(j);
    });
    const r = await readProject(b);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(
      r.plan.segments.map((s) => [s.name, s.origin]),
      [
        ['bootloader', 'flasher_args.json "bootloader"'],
        ['partition-table', 'flasher_args.json "partition-table"'],
        ['app', 'flasher_args.json "app"'],
        ['storage', 'flasher_args.json "storage"'],
      ],
    );
  });

  it('a named entry that flash_files omits (Secure Boot bootloader) is left out, with a warning', async () => {
    const b = await sample();
    edit(path.join(b, 'flasher_args.json'), (s) => {
      const j = JSON.parse(s);
      delete j.flash_files['0x0'];
      return JSON.stringify(j);
    });
    edit(path.join(b, 'flash_args'), (s) => s.replace('0x0 bootloader/bootloader.bin\n', ''));
    const r = await readProject(b);
    assert.ok(!r.plan.segments.some((s) => s.name === 'bootloader'));
    assert.equal(r.problems.length, 1, show(r.problems));
    assert.match(r.problems[0].message, /describes "bootloader" \(bootloader\/bootloader\.bin at 0x0\) but flash_files does not list it.*left out of the plan/);
  });

  it('Secure Boot V1: the bootloader kept out of `flash` on purpose is explained with its one-time command, not called left over', async () => {
    const b = await sample();
    edit(path.join(b, 'flasher_args.json'), (s) => {
      const j = JSON.parse(s);
      delete j.flash_files['0x0'];
      delete j.bootloader;
      return JSON.stringify(j);
    });
    edit(path.join(b, 'flash_args'), (s) => s.replace('0x0 bootloader/bootloader.bin\n', ''));
    edit(path.join(b, 'config/sdkconfig.json'), (s) => JSON.stringify({ ...JSON.parse(s), SECURE_BOOT: true, SECURE_BOOT_V1_ENABLED: true }));
    const r = await readProject(b);
    assert.ok(!r.plan.segments.some((s) => s.name === 'bootloader'));
    const w = r.problems.filter((p) => /bootloader/.test(p.message));
    assert.equal(w.length, 1, show(r.problems));
    assert.match(w[0].message, /Secure Boot V1 is enabled \(sdkconfig\), so ESP-IDF keeps the bootloader out of the flash target on purpose.*"idf\.py bootloader-flash"/);
    assert.doesNotMatch(w[0].message, /left over/);
  });

  it('ESP-IDF 3.x: no chip named anywhere, image chip id 0 is the ESP32', async () => {
    const b = await writeSampleIdfBuild(tmp.make(), { chip: 'esp32' });
    edit(path.join(b, 'flasher_args.json'), (s) => {
      const j = JSON.parse(s);
      delete j.extra_esptool_args;
      delete j.chip;
      return JSON.stringify(j);
    });
    edit(path.join(b, 'config/sdkconfig.json'), (s) => {
      const j = JSON.parse(s);
      delete j.IDF_TARGET;
      return JSON.stringify(j);
    });
    const r = await readProject(b);
    assert.equal(r.plan.chip, 'esp32', show(r.problems));
  });

  it('encrypted_flash_args that disagrees with flasher_args.json: warning, the JSON wins', async () => {
    const b = await sample({ flashEncryption: 'development' });
    edit(path.join(b, 'encrypted_flash_args'), (s) => s.replace('0x110000 storage.bin', '').replace('--encrypt-files\n', '--encrypt-files\n0x110000 storage.bin\n'));
    const r = await readProject(b);
    assert.equal(r.plan.segments.find((s) => s.name === 'storage')?.encrypt, false);
    assert.ok(
      warnings(r.problems).some((p) =>
        /flasher_args\.json marks "storage" encrypted=false but encrypted_flash_args has it listed after --encrypt-files; flasher_args\.json is used\./.test(p.message),
      ),
      show(r.problems),
    );
  });

  it('release-mode flash encryption: §7 defaults, to be written pre-encrypted', async () => {
    const b = await sample({ ota: true });
    edit(path.join(b, 'config/sdkconfig.json'), (s) => JSON.stringify({ ...JSON.parse(s), SECURE_FLASH_ENC_ENABLED: true, SECURE_FLASH_ENCRYPTION_MODE_RELEASE: true }));
    const r = await readProject(b);
    assert.equal(r.plan.flashEncryption, 'release');
    assert.deepEqual(
      r.plan.segments.map((s) => [s.name, s.encrypt]),
      [
        ['bootloader', true],
        ['partition-table', true],
        ['otadata', true],
        ['app', true],
        ['storage', false],
      ],
    );
    assert.match(
      r.plan.segments[3].encryptSource!,
      /^flash encryption release mode: partition factory \(app\/factory\) is encrypted by default — write it pre-encrypted with the host key/,
    );
    assert.match(r.plan.segments[4].encryptSource!, /^flash encryption release mode: partition storage \(data\/spiffs\) is not encrypted by default$/);
  });

  it('no encrypted marks but development mode in sdkconfig: §7 defaults per partition', async () => {
    const b = await sample({ flashEncryption: 'development' });
    edit(path.join(b, 'flasher_args.json'), (s) => s.replace(/, "encrypted": "(true|false)"/g, '').replace(/,\s*"encrypted": "(true|false)"/g, ''));
    rmSync(path.join(b, 'encrypted_flash_args'));
    const r = await readProject(b);
    assert.deepEqual(
      r.plan.segments.map((s) => [s.name, s.encrypt]),
      [
        ['bootloader', true],
        ['partition-table', true],
        ['app', true],
        ['storage', false],
      ],
    );
    assert.equal(r.plan.segments[0].encryptSource, 'flash encryption development mode (sdkconfig): the bootloader is always encrypted when flash encryption is on');
  });

  it('--chip that disagrees with the build: a warning and image chip errors', async () => {
    const b = await sample();
    const r = await readProject(b, { chip: 'esp32s3' });
    assert.equal(r.plan.chip, 'esp32s3');
    assert.ok(warnings(r.problems).some((p) => /The build is for esp32c3 but esp32s3 was asked for/.test(p.message)));
    assert.ok(
      errors(r.problems).some((p) => /segment app .*: the image is built for ESP32-C3 \(header chip id 5\) but the plan is for ESP32-S3/.test(p.message)),
      show(r.problems),
    );
  });
});
