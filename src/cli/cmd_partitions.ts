/** `esp-flasher partitions <file | folder>` — print a partition table (binary or CSV, or a build's). */
import { readFile, stat } from 'node:fs/promises';
import { hex } from '../core/formats/bytes';
import { looksLikePartitionTable, parsePartitionTable } from '../core/formats/partition_binary';
import { parsePartitionCsv, writePartitionCsv } from '../core/formats/partition_csv';
import { PARTITION_TABLE_DEFAULT_OFFSET } from '../core/formats/partition_table';
import { partitionRows, problemLines } from '../core/plan/plan_text';
import { hasErrors, type Problem } from '../core/plan/problem';
import type { PartitionRef } from '../core/plan/flash_plan';
import { readProject } from '../core/project/read_project';
import { Options, UsageError, formatOptionHelp, parseArgs, type OptionSpec } from './args';

const OPTIONS: OptionSpec[] = [
  { name: 'offset', kind: 'value', valueName: 'OFFSET', help: 'Flash offset of the table, for CSV placement and overlap checks (default 0x8000)' },
  { name: 'csv', kind: 'flag', help: 'Print the table as ESP-IDF partition CSV' },
  { name: 'json', kind: 'flag', help: 'Print the table and problems as JSON' },
];

export const usage = [
  'Usage: esp-flasher partitions <file> [options]',
  '',
  'Prints a partition table: a binary (partition-table.bin, partitions.bin), an ESP-IDF CSV',
  '(offsets filled in the way gen_esp32part.py does), or the table of a build folder.',
  'Checks the MD5 row, alignment and overlaps.',
  '',
  'Options:',
  ...formatOptionHelp(OPTIONS),
  '',
  'Exit status: 0 valid, 1 the table has errors, 2 usage error.',
].join('\n');

export async function run(args: string[], out: (line: string) => void): Promise<number> {
  try {
    const o = new Options(parseArgs(args, OPTIONS, 'partitions'), 'partitions');
    if (o.has('help')) {
      out(usage);
      return 0;
    }
    if (o.positionals.length !== 1) throw new UsageError('partitions takes exactly one file (or build folder). Run "esp-flasher partitions --help".', 'partitions');
    const target = o.positionals[0];
    const offset = o.number('offset') ?? PARTITION_TABLE_DEFAULT_OFFSET;
    let parts: PartitionRef[] = [];
    let problems: Problem[] = [];
    let header: string;
    let st;
    try {
      st = await stat(target);
    } catch {
      out(`error: ${target} does not exist. Give a partition table file (.bin or .csv) or a build folder.`);
      return 1;
    }
    if (st.isDirectory()) {
      const r = await readProject(target, { check: false });
      if (!r.plan.partitions) {
        out(`error: no partition table found in ${target} (${r.kind === 'none' ? 'no build found' : 'the build has no partition table segment'}).`);
        return 1;
      }
      const seg = r.plan.segments.find((s) => s.role === 'partition-table');
      const parsed = seg ? parsePartitionTable(seg.bytes, { file: seg.file, tableOffset: seg.offset }) : undefined;
      parts = r.plan.partitions;
      problems = parsed?.problems ?? [];
      header = `Partition table of ${target}${seg ? ` (${seg.file} at ${hex(seg.offset)}${parsed ? `, MD5 ${parsed.md5}` : ''})` : ''}`;
    } else {
      const bytes = new Uint8Array(await readFile(target));
      const text = Buffer.from(bytes).toString('utf8');
      const binary = looksLikePartitionTable(bytes) || /\.bin$/i.test(target) || bytes.includes(0);
      if (binary) {
        const r = parsePartitionTable(bytes, { file: target, tableOffset: offset });
        parts = r.partitions;
        problems = r.problems;
        header = `Partition table binary ${target} (${bytes.length} bytes, MD5 row ${r.md5})`;
      } else {
        const r = parsePartitionCsv(text, { file: target, tableOffset: offset });
        parts = r.partitions;
        problems = r.problems;
        header = `Partition CSV ${target} (table at ${hex(offset)})`;
      }
    }
    if (o.has('json')) out(JSON.stringify({ partitions: parts, problems }, null, 2));
    else if (o.has('csv')) {
      for (const l of writePartitionCsv(parts).trimEnd().split('\n')) out(l);
      if (problems.length) for (const l of problemLines(problems)) out(`# ${l}`);
    } else {
      out(header);
      out('');
      for (const l of partitionRows(parts)) out(l);
      out('');
      for (const l of problemLines(problems)) out(l);
    }
    return hasErrors(problems) ? 1 : 0;
  } catch (e) {
    if (e instanceof UsageError) {
      out(e.message);
      return 2;
    }
    throw e;
  }
}
