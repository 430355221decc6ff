/**
 * `npm run bench`: ESP Flasher next to esptool 4.12 (bench_compare.ts), and the write-speed
 * table of the virtual chip.
 *
 *   npm run bench                            sections stub, rom, rom-enc and qemu (when ../shared/qemu is there)
 *   npm run bench -- --section stub          only these sections (repeatable): stub, rom, rom-enc, qemu, wire
 *   npm run bench -- --runs 3                three interleaved runs per tool, medians shown
 *
 * Section "wire": write a 1 MiB real app image into virtual chips with the UART + flash timing
 * model on, at 115200 and 921600 baud, compressed and device-encrypted, through the ROM loader
 * and the flasher stub; print seconds, effective kbit/s, bytes on the wire and the fraction
 * of the wire limit (baud/10 bytes per second) the bytes actually sent used.
 *
 *   npm run bench -- --section wire --json           as JSON
 *   npm run bench -- --section wire --baud 921600    only these rows (also --loader stub|rom, --mode compressed|encrypted)
 *
 * The full bench ends with the production-line section (bench_line.ts, also `npm run bench:line`)
 * and the monitor bench (bench_monitor.ts, also `npm run bench:monitor`); not when sections are picked.
 *
 * Bytes on the wire are the virtual chip's own count of bytes received between the segment's
 * start and end events (SLIP framing, headers and all); seconds are the flasher's write time
 * for the segment (from FLASH_BEGIN to the last acknowledged block).
 */
import '../../src/cli/virtual_ports';
import { runAsScript } from '../../src/cli/run_as_script';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { ChipName } from '../../src/core/chips';
import type { EncryptMode } from '../../src/core/plan/flash_plan';
import type { FlashEvent } from '../../src/core/flash/events';
import { flashSegments } from '../../src/core/flash/flash_job';
import { startPtyChip } from '../../src/sim/pty_chip';
import { Options, UsageError, formatOptionHelp, parseArgs, type OptionSpec } from '../../src/cli/args';
import { sharedDir } from '../demo/demo';
import { COMPARE_SECTIONS, formatCompareTable, qemuMissing, qemuRows, romRow, stubChain, type CompareRow, type CompareSection } from './bench_compare';
import { buildCli, esptoolMissing } from './bench_peers';

export const BENCH_SIZE = 1024 * 1024;
/** The corpus app the bench writes, trimmed to exactly 1 MiB (it is 1 064 208 bytes). */
export const BENCH_APP = { set: '09-esp32c6-ota', file: 'simple_ota.bin', chip: 'esp32c6' as ChipName };
const APP_OFFSET = 0x10000;

export type BenchMode = 'compressed' | 'encrypted';
export type BenchLoader = 'rom' | 'stub';

export interface BenchCase {
  baud: number;
  mode: BenchMode;
  loader: BenchLoader;
}

export interface BenchRow extends BenchCase {
  ok: boolean;
  error?: string;
  method: string;
  bytes: number;
  seconds: number;
  /** Uncompressed bytes × 8 / seconds / 1000. */
  effectiveKbps: number;
  /** Host → chip bytes during the write, as the virtual chip counted them. */
  wireBytes: number;
  /** Chip → host bytes during the write (acknowledgements). */
  wireBytesBack: number;
  /** wireBytes / seconds / (baud / 10). */
  wireFraction: number;
}

const SECTIONS = [...COMPARE_SECTIONS, 'wire'] as const;
type Section = (typeof SECTIONS)[number];

const OPTIONS: OptionSpec[] = [
  { name: 'section', kind: 'value', valueName: 'NAME', repeatable: true, help: `Only these sections (repeatable): ${SECTIONS.join(', ')} (default: all but wire)` },
  { name: 'runs', kind: 'value', valueName: 'N', help: 'Interleaved runs per tool in the esptool sections (default 1; medians shown)' },
  { name: 'json', kind: 'flag', help: 'Print the results as JSON' },
  { name: 'baud', kind: 'value', valueName: 'BAUD', repeatable: true, help: 'Only this baud rate (115200 or 921600; repeatable)' },
  { name: 'mode', kind: 'value', valueName: 'MODE', repeatable: true, help: 'Only compressed or encrypted (repeatable)' },
  { name: 'loader', kind: 'value', valueName: 'LOADER', repeatable: true, help: 'Only rom or stub (repeatable)' },
  { name: 'size', kind: 'value', valueName: 'BYTES', help: 'Image size (default 1M; the image is trimmed or padded with 0xFF)' },
  {
    name: 'sim-stub',
    kind: 'value',
    valueName: 'GEN',
    help: 'How the virtual chip runs a stub image it does not recognise: legacy (default) or current (the bundled stubs are recognised and run as esp-flasher-stub v1.2.2)',
  },
  { name: 'debug', kind: 'flag', help: 'Print stack traces on errors' },
];

/** The image: the corpus app trimmed/padded to `size` (0: as it is), else a generated app. */
export async function benchImage(size: number): Promise<{ bytes: Uint8Array; chip: ChipName; source: string }> {
  const file = path.join(sharedDir(), 'corpus', BENCH_APP.set, BENCH_APP.file);
  let data: Uint8Array | undefined;
  let source: string;
  let chip = BENCH_APP.chip;
  try {
    data = new Uint8Array(await readFile(file));
    source = `${BENCH_APP.set}/${BENCH_APP.file} (${data.length} bytes, ESP32-C6 app) ${data.length >= size ? 'trimmed' : 'padded with 0xFF'} to ${size} bytes`;
  } catch {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { writeSampleIdfBuildDetailed } = require('../../test/fixtures/sample_build') as typeof import('../../test/fixtures/sample_build');
    const os = await import('node:os');
    const fs = await import('node:fs/promises');
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'esp-flasher-bench-'));
    try {
      chip = 'esp32c3';
      const b = await writeSampleIdfBuildDetailed(tmp, { chip, appSize: 960 * 1024 });
      const app = b.images.find((i) => i.name === 'app') ?? b.images[b.images.length - 1];
      data = new Uint8Array(await readFile(path.join(b.buildDir, app.file)));
      source = `shared corpus not present: a generated ESP32-C3 app (${data.length} bytes) padded with 0xFF to ${size} bytes`;
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  }
  if (size === 0) return { bytes: data, chip, source: source.replace(/ (trimmed|padded with 0xFF) to 0 bytes$/, '') };
  const bytes = new Uint8Array(size).fill(0xff);
  bytes.set(data.subarray(0, size));
  return { bytes, chip, source };
}

/** One row: a fresh virtual chip with the timing model, one write, the chip's byte counters. */
export async function runBenchCase(c: BenchCase, image: Uint8Array, chip: ChipName, simStub: 'legacy' | 'current'): Promise<BenchRow> {
  const encrypt: EncryptMode = c.mode === 'encrypted' ? 'device' : 'off';
  const pty = await startPtyChip({
    chip,
    timing: true,
    encryption: c.mode === 'encrypted' ? 'development' : 'off',
    stub: simStub,
    flashSize: 4 * 1024 * 1024,
  });
  const row: BenchRow = { ...c, ok: false, method: '', bytes: image.length, seconds: 0, effectiveKbps: 0, wireBytes: 0, wireBytesBack: 0, wireFraction: 0 };
  let inAtStart = 0;
  let outAtStart = 0;
  const onEvent = (e: FlashEvent): void => {
    if (e.kind === 'segment-start') {
      row.method = e.method;
      inAtStart = pty.chip.stats.bytesIn;
      outAtStart = pty.chip.stats.bytesOut;
    } else if (e.kind === 'segment-done') {
      row.wireBytes = pty.chip.stats.bytesIn - inAtStart;
      row.wireBytesBack = pty.chip.stats.bytesOut - outAtStart;
      row.seconds = e.seconds;
    }
  };
  try {
    const result = await flashSegments([{ name: 'app', offset: APP_OFFSET, bytes: image, encrypt }], {
      port: pty.path,
      baud: c.baud,
      chip,
      stub: c.loader === 'stub',
      before: 'no-reset',
      after: 'no-reset',
      compress: true,
      skipUnchanged: false,
      verify: true,
      onEvent,
    });
    row.ok = result.ok;
    if (!result.ok) row.error = result.error;
  } finally {
    await pty.close();
  }
  if (row.seconds > 0) {
    row.effectiveKbps = (image.length * 8) / row.seconds / 1000;
    row.wireFraction = row.wireBytes / row.seconds / (c.baud / 10);
  }
  return row;
}

export function formatBenchTable(rows: BenchRow[]): string[] {
  const head = ['baud', 'mode', 'loader', 'method', 'seconds', 'eff. kbit/s', 'wire bytes', 'wire use'];
  const body = rows.map((r) =>
    r.ok
      ? [String(r.baud), r.mode, r.loader, r.method, r.seconds.toFixed(2), r.effectiveKbps.toFixed(0), String(r.wireBytes), `${(r.wireFraction * 100).toFixed(1)}%`]
      : [String(r.baud), r.mode, r.loader, 'FAILED', '', '', '', (r.error ?? '').slice(0, 80)],
  );
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const right = new Set([0, 4, 5, 6, 7]);
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(fmt)];
}

function pick<T extends string>(o: Options, name: string, all: readonly T[]): T[] {
  const v = o.values(name);
  if (!v.length) return [...all];
  for (const x of v) if (!(all as readonly string[]).includes(x)) throw new UsageError(`--${name}: "${x}" is not one of ${all.join(', ')}.`);
  return v as T[];
}

export async function runBench(args: string[], out: (l: string) => void): Promise<number> {
  const o = new Options(parseArgs(args, OPTIONS, 'bench'), 'bench');
  if (o.has('help')) {
    out(
      [
        'Usage: npm run bench -- [options]',
        '',
        'ESP Flasher next to esptool 4.12 on the same virtual chip and on QEMU, and write speed against virtual chips with the timing model on.',
        '',
        ...formatOptionHelp(OPTIONS),
      ].join('\n'),
    );
    return 0;
  }
  const sections = pick<Section>(o, 'section', SECTIONS);
  const chosen = o.values('section').length ? sections : sections.filter((x) => x !== 'wire');
  let code = 0;
  const compare = chosen.filter((x): x is CompareSection => x !== 'wire');
  if (compare.length) code = Math.max(code, await runCompare(o, compare, out));
  if (chosen.includes('wire')) code = Math.max(code, await runWireTable(o, out));
  return code;
}

async function runCompare(o: Options, sections: CompareSection[], out: (l: string) => void): Promise<number> {
  const runs = o.number('runs') ?? 1;
  if (!Number.isInteger(runs) || runs < 1) throw new UsageError('--runs: a whole number ≥ 1.');
  const baud = o.values('baud').length ? Number(o.values('baud')[0]) : 921600;
  const shared = sharedDir();
  const json = o.has('json');
  const log = json ? () => undefined : out;
  const missing = esptoolMissing(shared);
  if (missing) {
    out(`esptool sections skipped: ${missing}.`);
    return 0;
  }
  log('Building dist/cli.js (the bench runs the bundled CLI, as users do)...');
  buildCli();
  // The whole app file (a valid image: ESP Flasher checks what it flashes), not trimmed.
  const image = await benchImage(0);
  log(`Image: ${image.source}. Virtual ${image.chip}, timing model on, stub protocol "current", ${baud} baud; ${runs} interleaved run(s) per tool.`);
  const ctx = { shared, runs, baud, image: image.bytes, chip: image.chip, log };
  const rows: CompareRow[] = [];
  const skipped: string[] = [];
  const started = Date.now();
  for (const section of sections) {
    if (section === 'stub') rows.push(...(await stubChain(ctx)));
    else if (section === 'rom') rows.push(await romRow(ctx, false));
    else if (section === 'rom-enc') rows.push(await romRow(ctx, true));
    else if (section === 'qemu') {
      const why = qemuMissing(shared);
      if (why) skipped.push(`qemu: ${why}`);
      else rows.push(...(await qemuRows(ctx)));
    }
  }
  const total = (Date.now() - started) / 1000;
  if (json) {
    out(
      JSON.stringify(
        {
          image: image.source,
          baud,
          runs,
          totalSeconds: total,
          skipped,
          rows: rows.map((r) => ({ ...r, goal: r.goal ? { text: r.goal.text, limit: r.goal.limit, value: r.goal.value(r) } : undefined })),
        },
        null,
        2,
      ),
    );
  } else {
    out('');
    for (const line of formatCompareTable(rows)) out(line);
    out('');
    out(
      "Whole command: from starting the program to its exit. Write: from the BEGIN before the first data block to the last block's reply, on the virtual chip's clock; % wire = bytes that arrived in that span / (baud/10 per second).",
    );
    for (const s of skipped) out(`Skipped: ${s}.`);
    out(`Sections run: ${sections.join(', ')} in ${total.toFixed(0)} s.`);
  }
  return rows.every((r) => r.esptool.every((m) => m.ok) && r.ours.every((m) => m.ok)) ? 0 : 1;
}

async function runWireTable(o: Options, out: (l: string) => void): Promise<number> {
  const bauds = o.values('baud').length ? o.values('baud').map((b) => Number(b)) : [921600, 115200];
  for (const b of bauds) if (!Number.isInteger(b) || b < 9600) throw new UsageError(`--baud: "${b}" is not a baud rate.`);
  const modes = pick<BenchMode>(o, 'mode', ['compressed', 'encrypted']);
  const loaders = pick<BenchLoader>(o, 'loader', ['stub', 'rom']);
  const simStub = (o.string('sim-stub') ?? 'legacy') as 'legacy' | 'current';
  if (simStub !== 'legacy' && simStub !== 'current') throw new UsageError('--sim-stub: use legacy or current.');
  const size = o.number('size') ?? BENCH_SIZE;
  const json = o.has('json');
  const log = json ? () => undefined : out;

  const image = await benchImage(size);
  log(`Image: ${image.source}. Virtual ${image.chip} with the timing model on (unrecognised stubs run as: ${simStub}).`);
  const cases: BenchCase[] = [];
  for (const baud of bauds) for (const loader of loaders) for (const mode of modes) cases.push({ baud, mode, loader });

  // Fast rows one after another (they measure the host's pacing, so nothing else may run);
  // slow rows (≤ 115200) side by side on separate virtual chips to keep the bench short.
  const fast = cases.filter((c) => c.baud > 115200);
  const slow = cases.filter((c) => c.baud <= 115200);
  const rows: BenchRow[] = [];
  const started = Date.now();
  for (const c of fast) {
    log(`  ${c.baud} ${c.loader} ${c.mode}...`);
    rows.push(await runBenchCase(c, image.bytes, image.chip, simStub));
  }
  if (slow.length) {
    log(`  ${slow.map((c) => `${c.baud} ${c.loader} ${c.mode}`).join(', ')} in parallel...`);
    rows.push(...(await Promise.all(slow.map((c) => runBenchCase(c, image.bytes, image.chip, simStub)))));
  }
  const total = (Date.now() - started) / 1000;
  if (json) {
    out(JSON.stringify({ image: image.source, chip: image.chip, size, simStub, totalSeconds: total, rows }, null, 2));
  } else {
    out('');
    for (const line of formatBenchTable(rows)) out(line);
    out('');
    out(`Wire use = bytes the chip received during the write / seconds / (baud/10). Whole bench: ${total.toFixed(0)} s.`);
    const target = rows.find((r) => r.baud === 921600 && r.loader === 'stub' && r.mode === 'compressed' && r.ok);
    if (target) out(`921600 stub compressed: ${(target.wireFraction * 100).toFixed(1)}% of the wire limit (target ≥ 95%).`);
  }
  return rows.every((r) => r.ok) ? 0 : 1;
}

if (require.main === module) {
  const out = (l: string): void => void process.stdout.write(l + '\n');
  const argv = process.argv.slice(2);
  // Then the production-line section (bench_line.ts: 8 devices at once vs 1) and the monitor
  // (bench_monitor.ts), unless the run picked sections.
  const all = runBench(argv, out)
    .then(async (code) => Math.max(code, await (await import('./bench_line')).benchLineSection(argv, out)))
    .then(async (code) => Math.max(code, await (await import('./bench_monitor')).benchMonitorSection(argv, out)));
  runAsScript(all);
}
