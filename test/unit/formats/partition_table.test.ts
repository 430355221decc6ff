import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parsePartitionTable, writePartitionTable } from '../../../src/core/formats/partition_binary';
import { parsePartitionCsv, writePartitionCsv } from '../../../src/core/formats/partition_csv';
import { encryptedByDefault, makePartition, TYPE } from '../../../src/core/formats/partition_table';
import { CORPUS, IMAGES, describeShared } from './shared_corpus';

const errs = (ps: { severity: string; message: string }[]) => ps.filter((p) => p.severity === 'error').map((p) => p.message);

const TABLE = [
  makePartition('nvs', TYPE.data, 0x02, 0x9000, 0x6000, 0),
  makePartition('otadata', TYPE.data, 0x00, 0xf000, 0x2000, 0),
  makePartition('app', TYPE.app, 0x10, 0x20000, 0x100000, 0),
  makePartition('keys', TYPE.data, 0x04, 0x120000, 0x1000, 0),
  makePartition('secret', TYPE.data, 0x81, 0x121000, 0x1000, 0x1),
  makePartition('ro', TYPE.data, 0x82, 0x130000, 0x10000, 0x2),
];

describe('partition table binary (§7)', () => {
  it('writes entries, the MD5 row and 0xFF padding to 0xC00, and reads them back', () => {
    const bin = writePartitionTable(TABLE);
    assert.equal(bin.length, 0xc00);
    assert.deepEqual(Array.from(bin.subarray(0, 2)), [0xaa, 0x50]);
    const md5At = TABLE.length * 32;
    assert.deepEqual(Array.from(bin.subarray(md5At, md5At + 16)), [0xeb, 0xeb, ...new Array(14).fill(0xff)]);
    assert.equal(Buffer.from(bin.subarray(md5At + 16, md5At + 32)).toString('hex'), createHash('md5').update(bin.subarray(0, md5At)).digest('hex'));
    assert.ok(bin.subarray(md5At + 32).every((b) => b === 0xff));
    const r = parsePartitionTable(bin);
    assert.deepEqual(r.problems, []);
    assert.equal(r.md5, 'ok');
    assert.deepEqual(r.partitions, TABLE);
    assert.deepEqual(
      r.partitions.map((p) => [p.label, p.typeName, p.subtypeName]),
      [
        ['nvs', 'data', 'nvs'],
        ['otadata', 'data', 'ota'],
        ['app', 'app', 'ota_0'],
        ['keys', 'data', 'nvs_keys'],
        ['secret', 'data', 'fat'],
        ['ro', 'data', 'spiffs'],
      ],
    );
    assert.deepEqual(
      r.partitions.map((p) => [p.encrypted, !!p.readonly]),
      [
        [false, false],
        [false, false],
        [false, false],
        [false, false],
        [true, false],
        [false, true],
      ],
    );
  });

  it('knows which partitions are encrypted by default (§7)', () => {
    assert.deepEqual(
      TABLE.map((p) => p.encryptByDefault),
      [false, true, true, true, true, false],
    );
    assert.equal(encryptedByDefault({ type: TYPE.data, subtype: 0x90, encrypted: false }), true, 'TEE otadata');
    assert.equal(encryptedByDefault({ type: TYPE.data, subtype: 0x01, encrypted: false }), false, 'phy');
  });

  it('reports a bad MD5 with both digests and what to do', () => {
    const bin = writePartitionTable(TABLE);
    bin[12] = 0x6d; // "nvs" → "mvs": the MD5 no longer matches
    const r = parsePartitionTable(bin, { file: 'pt.bin' });
    assert.equal(r.md5, 'mismatch');
    assert.equal(r.partitions[0].label, 'mvs');
    const e = errs(r.problems);
    assert.equal(e.length, 1, e.join('\n'));
    assert.match(e[0], /^pt\.bin: partition table MD5 mismatch at offset 0xc0: stored [0-9a-f]{32}, computed [0-9a-f]{32}\. The bootloader will reject this table/);
  });

  it('reports malformed rows, truncation, unknown flags and overlaps', () => {
    const bin = writePartitionTable(TABLE);
    const bad = Uint8Array.from(bin);
    bad[64] = 0x12;
    assert.match(
      errs(parsePartitionTable(bad, { file: 'b.bin' }).problems)[0],
      /^b\.bin: row at offset 0x40 starts with 0x12 0x50; expected AA 50 \(entry\), EB EB \(MD5\) or FF \(end\)/,
    );
    assert.match(errs(parsePartitionTable(bin.subarray(0, 70), { file: 't.bin' }).problems)[0], /t\.bin: 70 bytes is not a whole number of 32-byte rows; the table is truncated/);
    const flagged = writePartitionTable([makePartition('x', TYPE.data, 0x02, 0x9000, 0x1000, 0)], { md5: false });
    flagged[28] = 0x10;
    assert.match(parsePartitionTable(flagged).problems[0].message, /unknown flag bits 0x10/);
    const overlap = writePartitionTable([makePartition('a', TYPE.data, 0x02, 0x9000, 0x2000, 0), makePartition('b', TYPE.data, 0x01, 0xa000, 0x1000, 0)]);
    assert.match(errs(parsePartitionTable(overlap, { file: 'o.bin' }).problems)[0], /o\.bin: entry 1 .*\(b at 0xa000\) overlaps entry 0 .*\(a, 0x9000–0xb000\)/);
    assert.match(errs(parsePartitionTable(new Uint8Array(0), { file: 'e.bin' }).problems)[0], /e\.bin is empty/);
    assert.match(errs(parsePartitionTable(new Uint8Array(96).fill(0xff), { file: 'f.bin' }).problems)[0], /f\.bin: the table has no partitions/);
  });
});

describe('partition CSV (gen_esp32part rules)', () => {
  it('fills empty offsets after the table sector with type alignment, and reads size suffixes', () => {
    const csv = [
      '# Name, Type, SubType, Offset, Size, Flags',
      'nvs,      data, nvs,      ,        0x5000,',
      'otadata,  data, ota,      ,        8K,',
      'app0,     app,  ota_0,    ,        1536K,',
      'app1,     app,  ota_1,    ,        0x180000,',
      'spiffs,   data, spiffs,   ,        0x80000, encrypted',
      'coredump, data, coredump, ,        64K, encrypted:readonly',
      'raw,      0x40, 0x01,     ,        1M,',
    ].join('\n');
    const r = parsePartitionCsv(csv);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(
      r.partitions.map((p) => [p.label, p.type, p.subtype, p.offset, p.size, p.encrypted, !!p.readonly]),
      [
        ['nvs', 1, 0x02, 0x9000, 0x5000, false, false],
        ['otadata', 1, 0x00, 0xe000, 0x2000, false, false],
        ['app0', 0, 0x10, 0x10000, 0x180000, false, false],
        ['app1', 0, 0x11, 0x190000, 0x180000, false, false],
        ['spiffs', 1, 0x82, 0x310000, 0x80000, true, false],
        ['coredump', 1, 0x03, 0x390000, 0x10000, true, true],
        ['raw', 0x40, 0x01, 0x3a0000, 0x100000, false, false],
      ],
    );
  });

  it('honours the table offset for the first free offset', () => {
    const r = parsePartitionCsv('nvs, data, nvs, , 0x6000\nfactory, app, factory, , 1M\n', { tableOffset: 0x10000 });
    assert.deepEqual(
      r.partitions.map((p) => p.offset),
      [0x11000, 0x20000],
    );
  });

  it('reports overlapping rows, misalignment and bad fields per line', () => {
    const r = parsePartitionCsv(['nvs, data, nvs, 0x9000, 0x6000', 'phy, data, phy, 0xe000, 0x1000', 'app, app, factory, 0x18000, 1M'].join('\n'), { file: 'p.csv' });
    const e = errs(r.problems);
    assert.ok(
      e.some((m) => /^p\.csv: line 2 \(phy at 0xe000\) overlaps line 1 \(nvs, 0x9000–0xf000\)\. Move one of them or shrink nvs\./.test(m)),
      e.join('\n'),
    );
    assert.ok(
      e.some((m) => /p\.csv: line 3 \(app\) offset 0x18000 is not aligned to 0x10000/.test(m)),
      e.join('\n'),
    );
    const bad = parsePartitionCsv(['a, data', 'b, disk, nvs, , 1K', 'c, app, , , 1M', 'd, data, nvs, , ', 'e, data, nvs, , lots', 'f, data, nvs, , 4K, secret'].join('\n'), {
      file: 'q.csv',
    });
    assert.deepEqual(errs(bad.problems), [
      'q.csv line 1: expected "Name, Type, SubType, Offset, Size[, Flags]" but found 2 field(s): "a, data".',
      'q.csv line 2: type "disk" is not app, data, bootloader, partition_table or a number 0x00–0xFE.',
      'q.csv line 3: an app partition needs a subtype (factory, ota_0, …).',
      'q.csv line 4: the size of "d" is empty; give a size such as 0x6000, 24K or 1M.',
      'q.csv line 5: size "lots" of "e" is not a number (write 0x6000, 24576, 24K or 1M).',
      'q.csv line 6: unknown flag "secret"; use encrypted and/or readonly separated by ":".',
    ]);
  });

  it('writes CSV that reads back to the same table', () => {
    const again = parsePartitionCsv(writePartitionCsv(TABLE));
    assert.deepEqual(again.problems, []);
    assert.deepEqual(again.partitions, TABLE);
  });
});

describeShared('partition tables of the corpus', () => {
  it('each CSV in the corpus compiles to the byte-identical partition-table binary of its build', () => {
    const sets = [
      ['02-esp32s3-idf5.0-flashenc-storage', 'partition_table/partition-table.bin'],
      ['04-esp32c5-idf6-www', 'partition_table/partition-table.bin'],
      ['08-esp32h2-48m', 'partition_table/partition-table.bin'],
      ['11-esp32c3-storage', 'partition_table/partition-table.bin'],
      ['15-pio-arduino-esp32-ota', '.pio/build/esp32dev/partitions.bin'],
    ];
    for (const [set, bin] of sets) {
      const csv = parsePartitionCsv(readFileSync(path.join(CORPUS, set, 'partitions.csv'), 'utf8'));
      assert.deepEqual(csv.problems, [], set);
      const built = writePartitionTable(csv.partitions);
      assert.deepEqual(built, new Uint8Array(readFileSync(path.join(CORPUS, set, bin))), set);
    }
  });

  it('reads every corpus binary with a valid MD5 row', () => {
    for (const set of ['01-esp32-idf4.4-flashenc', '06-esp32s2-ota-littlefs', '07-esp32c2-60m', '09-esp32c6-ota', '12-esp32-idf4.1-stub-TRUE']) {
      const r = parsePartitionTable(new Uint8Array(readFileSync(path.join(CORPUS, set, 'partition_table/partition-table.bin'))));
      assert.deepEqual(r.problems, [], set);
      assert.equal(r.md5, 'ok', set);
    }
    const ota = parsePartitionTable(new Uint8Array(readFileSync(path.join(CORPUS, '09-esp32c6-ota/partition_table/partition-table.bin'))));
    assert.deepEqual(
      ota.partitions.map((p) => `${p.label}@${p.offset.toString(16)}+${p.size.toString(16)}`),
      ['nvs@9000+6000', 'otadata@f000+2000', 'phy_init@11000+1000', 'ota_0@20000+1a9000', 'ota_1@1d0000+1a9000'],
    );
  });

  it('partitions_singleapp.bin: a legacy 96-byte table without MD5 row', () => {
    const r = parsePartitionTable(new Uint8Array(readFileSync(path.join(IMAGES, 'partitions_singleapp.bin'))));
    assert.deepEqual(r.problems, []);
    assert.equal(r.md5, 'absent');
    assert.deepEqual(
      r.partitions.map((p) => [p.label, p.typeName, p.subtypeName, p.offset, p.size]),
      [
        ['factory', 'app', 'factory', 0x10000, 0x100000],
        ['rfdata', 'data', 'phy', 0x110000, 0x40000],
        ['wifidata', 'data', 'nvs', 0x150000, 0x40000],
      ],
    );
  });
});
