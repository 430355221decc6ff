import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as imageInfo from '../../../src/cli/cmd_image_info';
import * as partitions from '../../../src/cli/cmd_partitions';
import * as plan from '../../../src/cli/cmd_plan';
import { writeSampleIdfBuildDetailed, type SampleBuild } from '../../fixtures/sample_build';

let dir: string;
let sample: SampleBuild;
before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cli-'));
  sample = await writeSampleIdfBuildDetailed(path.join(dir, 'proj'), { chip: 'esp32s3', flashEncryption: 'development' });
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function run(mod: { run: (a: string[], out: (l: string) => void) => Promise<number> }, args: string[]): Promise<{ code: number; text: string; lines: string[] }> {
  const lines: string[] = [];
  const code = await mod.run(args, (l) => lines.push(l));
  return { code, text: lines.join('\n'), lines: lines.join('\n').split('\n') };
}

describe('esp-flasher plan / partitions / image-info', () => {
  it('plan <folder> prints the table (name, offset, size, partition, encrypt, source) and no problems', async () => {
    const r = await run(plan, [path.join(dir, 'proj')]);
    assert.equal(r.code, 0, r.text);
    assert.equal(r.lines[0], `ESP-IDF build: ${sample.buildDir}`);
    assert.ok(r.lines.includes('Chip: ESP32-S3'));
    assert.ok(r.lines.includes('Flash settings: mode dio, size 4MB, freq 80m (from flasher_args.json flash_settings)'));
    assert.ok(r.lines.includes('Flash encryption: development'));
    const head = r.lines.findIndex((l) => l.startsWith('Name '));
    assert.match(r.lines[head], /^Name\s+Offset\s+Size\s+Partition\s+Encrypt\s+Source$/);
    assert.match(r.lines[head + 1], /^bootloader\s+0x0\s+\d+\s+\(bootloader\)\s+yes\s+bootloader\/bootloader\.bin$/);
    assert.match(r.lines[head + 3], /^app\s+0x10000\s+\d+\s+factory\s+yes\s+sample_app\.bin$/);
    assert.match(r.lines[head + 4], /^storage\s+0x110000\s+16384\s+storage\s+no\s+storage\.bin$/);
    assert.ok(r.lines.includes('  storage: plain — flasher_args.json "storage": "encrypted": "false"'));
    assert.ok(
      r.lines.some((l) => /^\s+factory\s+app\s+factory\s+0x10000\s+0x100000\s+-\s+yes\s+app$/.test(l)),
      r.text,
    );
    assert.equal(r.lines[r.lines.length - 1], 'No problems found.');
  });

  it('plan --json, plan with pairs, plan --device-flash-size, and exit 1 on errors', async () => {
    const j = await run(plan, [sample.buildDir, '--json']);
    const parsed = JSON.parse(j.text);
    assert.equal(parsed.kind, 'esp-idf');
    assert.deepEqual(
      parsed.plan.segments.map((s: { offsetHex: string }) => s.offsetHex),
      ['0x0', '0x8000', '0x10000', '0x110000'],
    );
    assert.deepEqual(parsed.problems, []);

    const pairs = await run(plan, ['0x10000', path.join(sample.buildDir, 'sample_app.bin'), '0x8000', path.join(sample.buildDir, 'partition_table/partition-table.bin')]);
    assert.equal(pairs.code, 0, pairs.text);
    assert.equal(pairs.lines[0], 'Offset/file pairs: offset/file pairs');

    const small = await run(plan, [sample.buildDir, '--device-flash-size', '1MB']);
    assert.equal(small.code, 1);
    assert.ok(
      small.lines.some((l) => /^  error: segment storage at 0x110000 .* beyond the 1 MiB flash size of the connected device/.test(l)),
      small.text,
    );
  });

  it('plan on an empty folder lists what it looked for; usage errors exit 2', async () => {
    const empty = mkdtempSync(path.join(dir, 'empty-'));
    const r = await run(plan, [empty]);
    assert.equal(r.code, 1);
    assert.equal(r.lines[0], `Nothing found: ${empty}`);
    assert.ok(r.lines.includes('Looked for:'));
    assert.ok(r.lines.includes(`  ${path.join(empty, 'flasher_args.json')}`));
    const u = await run(plan, []);
    assert.equal(u.code, 2);
    assert.match(u.text, /plan needs a folder/);
    const bad = await run(plan, [empty, '--chip', 'esp99']);
    assert.equal(bad.code, 2);
    assert.match(bad.text, /--chip: "esp99" is not a known chip/);
    const help = await run(plan, ['--help']);
    assert.equal(help.code, 0);
    assert.equal(help.text, plan.usage);
  });

  it("partitions prints a binary table, a CSV, a build folder's table; errors exit 1", async () => {
    const bin = await run(partitions, [path.join(sample.buildDir, 'partition_table/partition-table.bin')]);
    assert.equal(bin.code, 0, bin.text);
    assert.match(bin.lines[0], /^Partition table binary .*partition-table\.bin \(3072 bytes, MD5 row ok\)$/);
    assert.match(bin.lines[2], /^Name\s+Type\s+SubType\s+Offset\s+Size\s+Flags\s+Enc\.default\s+Image$/);
    assert.match(bin.lines[3], /^nvs\s+data\s+nvs\s+0x9000\s+0x6000\s+-\s+no\s+-$/);

    const csvFile = path.join(dir, 'p.csv');
    writeFileSync(csvFile, 'nvs, data, nvs, , 24K\nfactory, app, factory, , 1M\nstorage, data, spiffs, 0x100000, 64K\n');
    const csv = await run(partitions, [csvFile]);
    assert.equal(csv.code, 1);
    assert.match(csv.text, /error: .*p\.csv: line 3 \(storage at 0x100000\) overlaps line 2 \(factory, 0x10000–0x110000\)/);
    const asCsv = await run(partitions, [path.join(sample.buildDir, 'partition_table/partition-table.bin'), '--csv']);
    assert.equal(asCsv.lines[2], 'nvs, data, nvs, 0x9000, 24K,');

    const folder = await run(partitions, [sample.buildDir]);
    assert.equal(folder.code, 0, folder.text);
    assert.match(folder.lines[0], /^Partition table of .* \(.*partition-table\.bin at 0x8000, MD5 ok\)$/);

    const missing = await run(partitions, [path.join(dir, 'nope.bin')]);
    assert.equal(missing.code, 1);
    assert.match(missing.text, /nope\.bin does not exist/);
  });

  it('image-info describes an app, refuses a bad magic, and converts an ELF only with --chip', async () => {
    const app = await run(imageInfo, [path.join(sample.buildDir, 'sample_app.bin')]);
    assert.equal(app.code, 0, app.text);
    assert.ok(app.lines.includes('Chip: ESP32-S3 (chip id 9)'));
    assert.ok(app.lines.includes('Flash: mode dio, size 4MB, freq 80m'));
    assert.ok(app.lines.includes('  Project: sample_app'));
    assert.ok(app.lines.includes('  ESP-IDF: v5.3.1'));
    assert.ok(app.lines.some((l) => /^Checksum: 0x[0-9a-f]+ \(valid\)$/.test(l)));
    assert.ok(app.lines.some((l) => /^SHA-256 appended: [0-9a-f]{64} \(valid\)$/.test(l)));

    const junk = path.join(dir, 'junk.bin');
    writeFileSync(junk, Buffer.alloc(64, 0x42));
    const bad = await run(imageInfo, [junk]);
    assert.equal(bad.code, 1);
    assert.match(bad.text, /error: .*junk\.bin: bad image magic 0x42 at offset 0/);

    const elf = path.join(dir, 'fw.elf');
    writeFileSync(elf, Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(60)]));
    const noChip = await run(imageInfo, [elf]);
    assert.equal(noChip.code, 2);
    assert.match(noChip.text, /is an ELF file; give --chip/);
    const broken = await run(imageInfo, [elf, '--chip', 'esp32c3']);
    assert.equal(broken.code, 1);
    assert.equal(broken.text, `error: ${elf}: ELF class byte 0 (offset 4) is neither 32- nor 64-bit; the file is corrupt.`);
  });
});
