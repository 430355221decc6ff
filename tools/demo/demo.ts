/**
 * `npm run demo`: flash a real ESP-IDF build with flash encryption (development mode) into a
 * virtual chip behind a pseudo-terminal — through the real serialport binding — then read the
 * flash back and prove, segment by segment, that what the chip holds is the build encrypted
 * with the chip's own key.
 *
 *   npm run demo                       set 02 (ESP32-S3: encrypted bootloader/table/app + plain SPIFFS)
 *   npm run demo -- --set 01           set 01 (ESP32: AES-256 scheme, encrypted writes through the stub)
 *   npm run demo -- --sample esp32c3   a generated sample build instead of the corpus
 *
 * Exit code 0 when every segment matches, 1 otherwise.
 */
import '../../src/cli/virtual_ports';
import { runAsScript } from '../../src/cli/run_as_script';
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { FLASH_SIZES, chipFacts, flashSizeBytes, normalizeChipName, type ChipName } from '../../src/core/chips';
import { keyForChip, decryptFlashData } from '../../src/core/crypto/flash_crypto';
import type { FlashOptions, WriteSegment } from '../../src/core/flash/api';
import { readFlash } from '../../src/core/flash/device_ops';
import { flashSegments } from '../../src/core/flash/flash_job';
import { patchImageHeader } from '../../src/core/flash/image_header_patch';
import { segmentsFromPlan } from '../../src/core/flash/segments_from_plan';
import type { FlashPlan } from '../../src/core/plan/flash_plan';
import { formatProblem, hasErrors } from '../../src/core/plan/problem';
import { readProject } from '../../src/core/project/read_project';
import { startPtyChip, type PtyChip } from '../../src/sim/pty_chip';
import { parseVirtualPortSpec } from '../../src/sim/virtual_port_spec';
import { Options, UsageError, formatOptionHelp, parseArgs, type OptionSpec } from '../../src/cli/args';
import { ProgressPrinter, hex8 } from '../../src/cli/progress_printer';

/** Corpus sets with development-mode flash encryption (../shared/corpus/README.md). */
export const DEMO_SETS: Record<string, string> = {
  '01': '01-esp32-idf4.4-flashenc',
  '02': '02-esp32s3-idf5.0-flashenc-storage',
};

const OPTIONS: OptionSpec[] = [
  { name: 'set', kind: 'value', valueName: '01|02', help: 'Corpus build to flash (default 02)' },
  { name: 'sample', kind: 'value', valueName: 'CHIP', help: 'Flash a generated sample build for CHIP instead of the corpus' },
  { name: 'baud', kind: 'value', valueName: 'BAUD', help: 'Transfer baud rate (default 921600)' },
  { name: 'debug', kind: 'flag', help: 'Print stack traces on errors' },
];

/** ../shared next to the repository (tests, demo and bench read it in place). */
export function sharedDir(): string {
  return path.resolve(__dirname, '..', '..', '..', 'shared');
}

export interface SegmentCheck {
  name: string;
  offset: number;
  size: number;
  encrypted: boolean;
  /** The raw flash bytes differ from the plaintext. */
  rawDiffers: boolean;
  /** Host decryption (the chip's key) of READ_FLASH data equals the file (as flashed). */
  hostDecryptMatches: boolean;
  /** The virtual chip's own view equals the file: decryptFlash() for encrypted segments, its raw flash for plain ones. */
  chipDecryptMatches: boolean;
  /** Header patch applied by the flasher (bootloader), if any. */
  patchNote?: string;
  ok: boolean;
}

function equalPrefix(a: Uint8Array, b: Uint8Array, n: number): boolean {
  if (a.length < n || b.length < n) return false;
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, n), Buffer.from(b.buffer, b.byteOffset, n)) === 0;
}

/** Judge one segment from its raw read-back and the chip's own decryption. */
export function checkSegment(
  seg: WriteSegment,
  expected: Uint8Array,
  raw: Uint8Array,
  hostDecrypted: Uint8Array | undefined,
  chipDecrypted: Uint8Array,
  patchNote?: string,
): SegmentCheck {
  const n = expected.length;
  const encrypted = seg.encrypt !== 'off';
  const rawDiffers = !equalPrefix(raw, expected, n);
  const hostDecryptMatches = encrypted ? !!hostDecrypted && equalPrefix(hostDecrypted, expected, n) : !rawDiffers;
  const chipDecryptMatches = equalPrefix(chipDecrypted, expected, n);
  const ok = encrypted ? rawDiffers && hostDecryptMatches && chipDecryptMatches : !rawDiffers && chipDecryptMatches;
  const check: SegmentCheck = { name: seg.name, offset: seg.offset, size: n, encrypted, rawDiffers, hostDecryptMatches, chipDecryptMatches, ok };
  if (patchNote) check.patchNote = patchNote;
  return check;
}

export function formatCheckTable(rows: SegmentCheck[]): string[] {
  const yes = (b: boolean) => (b ? 'yes' : 'NO');
  const head = ['segment', 'offset', 'size', 'encrypted?', 'raw≠plain?', 'decrypted==file?', 'chip decrypt==file?', 'result'];
  const body = rows.map((r) => [
    r.name,
    hex8(r.offset),
    String(r.size),
    r.encrypted ? 'yes' : 'no',
    r.rawDiffers ? 'yes' : 'no',
    r.encrypted ? yes(r.hostDecryptMatches) : `${yes(r.hostDecryptMatches)} (plain)`,
    r.encrypted ? yes(r.chipDecryptMatches) : `${yes(r.chipDecryptMatches)} (raw)`,
    r.ok ? 'ok' : 'MISMATCH',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const lines = [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(fmt)];
  for (const r of rows) if (r.patchNote) lines.push(`  ${r.name}: compared with the image as flashed (${r.patchNote}).`);
  return lines;
}

/** The build's flash size: its setting, else ("detect"/"keep") the bootloader header's size nibble. */
function flashSizeOf(plan: FlashPlan): number {
  const m = /^(\d+)MB$/i.exec(plan.settings.size);
  if (m) return Number(m[1]) * 1024 * 1024;
  const boot = plan.chip ? plan.segments.find((s) => s.offset === chipFacts(plan.chip as ChipName).bootloaderOffset) : undefined;
  const name = boot && boot.bytes[0] === 0xe9 ? FLASH_SIZES[boot.bytes[3] >> 4] : undefined;
  return (name && flashSizeBytes(name)) || 4 * 1024 * 1024;
}

async function loadBuild(o: Options, out: (l: string) => void): Promise<{ dir: string; note: string; cleanup?: () => Promise<void> }> {
  const sample = o.string('sample');
  const set = o.string('set') ?? '02';
  const setName = DEMO_SETS[set];
  if (!setName) throw new UsageError(`--set: "${set}" is not one of ${Object.keys(DEMO_SETS).join(', ')}.`);
  const corpus = path.join(sharedDir(), 'corpus', setName);
  if (!sample) {
    const r = await readProject(corpus, { check: false }).catch(() => undefined);
    if (r && r.kind === 'esp-idf') return { dir: corpus, note: `corpus set ${setName} (a real ESP-IDF build, read in place)` };
    out(`The shared corpus is not present (${corpus}): using a generated sample build instead.`);
  }
  const chip: ChipName = sample ? (normalizeChipName(sample) ?? fail(`--sample: "${sample}" is not a chip name.`)) : 'esp32c3';
  if (chipFacts(chip).cryptScheme === 'none') throw new UsageError(`--sample: ${chip} has no flash encryption.`);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'esp-flasher-demo-'));
  // Loaded only here: the generator is the plan-reader engineer's fixture.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { writeSampleIdfBuild } = require('../../test/fixtures/sample_build') as typeof import('../../test/fixtures/sample_build');
  const dir = await writeSampleIdfBuild(tmp, { chip, flashEncryption: 'development', appSize: 192 * 1024 });
  return { dir, note: `a generated sample ESP-IDF build for ${chip} in ${dir}`, cleanup: () => rm(tmp, { recursive: true, force: true }) };
}

function fail(message: string): never {
  throw new UsageError(message);
}

export async function runDemo(args: string[], out: (l: string) => void, err: (l: string) => void): Promise<number> {
  const o = new Options(parseArgs(args, OPTIONS, 'demo'), 'demo');
  if (o.has('help')) {
    out(['Usage: npm run demo -- [options]', '', 'Flash an encrypted build into a virtual chip and prove it reads back right.', '', ...formatOptionHelp(OPTIONS)].join('\n'));
    return 0;
  }
  const baud = o.number('baud') ?? 921600;
  const build = await loadBuild(o, out);
  let pty: PtyChip | undefined;
  try {
    out(`ESP Flasher demo: ${build.note}`);
    const project = await readProject(build.dir);
    for (const p of project.problems) (p.severity === 'error' ? err : out)(formatProblem(p));
    if (hasErrors(project.problems)) return 1;
    const plan = project.plan;
    if (!plan.chip) throw new Error(`The build in ${build.dir} does not say which chip it is for.`);
    const chip = chipFacts(plan.chip);
    const flashSize = flashSizeOf(plan);
    const spec = `virtual:${chip.name}:encryption=development:flash=${flashSize / 1048576}MB`;
    const chipOptions = parseVirtualPortSpec(spec);
    if (!chipOptions) throw new Error(`Bad virtual port spec ${spec}.`);
    pty = await startPtyChip(chipOptions);
    out(`Virtual ${chip.displayName} with development-mode flash encryption on ${pty.path} (${spec}).`);
    out('(The virtual chip runs without its timing model here, so the kbit/s below are not real-world figures; `npm run bench` measures speed with wire and flash timing on.)');
    out(`Build flash encryption: ${plan.flashEncryption ?? 'unknown'}; loader the build asks for: ${plan.stub === false ? 'ROM' : 'stub'}.`);
    out('');

    const segments = segmentsFromPlan(plan, 'encrypted', 'device');
    const printer = new ProgressPrinter(out, { tty: Boolean(process.stdout.isTTY), rawWrite: (t) => process.stdout.write(t) });
    // Each session ends with a reset (a soft reset: a pty has no reset lines), so the next one
    // starts from the ROM loader, as with a real board.
    const common: FlashOptions = { port: pty.path, baud, chip: chip.name, before: 'no-reset', after: 'hard-reset' };
    const result = await flashSegments(segments, { ...common, settings: plan.settings, stub: plan.stub ?? true, onEvent: printer.listener });
    printer.finish();
    if (!result.ok) {
      err(`Error: ${result.error}`);
      return 1;
    }

    out('');
    out("Reading the flash back (READ_FLASH through the stub) and decrypting it with the chip's key...");
    const keyBytes = pty.chip.key;
    if (!keyBytes) throw new Error('The virtual chip has no flash-encryption key.');
    const key = keyForChip(keyBytes, chip.name, "the virtual chip's eFuse key");
    const rows: SegmentCheck[] = [];
    for (const seg of segments) {
      const patch = patchImageHeader(seg.bytes, seg.offset, chip, plan.settings, pty.chip.flashSize, seg.name);
      const expected = patch.bytes;
      const align = seg.encrypt === 'off' ? 4 : Math.max(16, chip.encryptedWriteAlign);
      const length = Math.ceil(expected.length / align) * align;
      const raw = await readFlash({ ...common, stub: true }, seg.offset, length);
      const hostDecrypted = seg.encrypt !== 'off' ? decryptFlashData(key, seg.offset, raw) : undefined;
      // The chip's own view: its flash-encryption engine for encrypted segments, raw flash for plain ones.
      const chipDecrypted = seg.encrypt !== 'off' ? pty.chip.decryptFlash(seg.offset, length) : pty.chip.readFlash(seg.offset, length);
      rows.push(checkSegment(seg, expected, raw, hostDecrypted, chipDecrypted, patch.patched ? patch.note : undefined));
    }
    out('');
    for (const line of formatCheckTable(rows)) out(line);
    const bad = rows.filter((r) => !r.ok);
    out('');
    if (bad.length) {
      err(`Demo FAILED: ${bad.map((r) => r.name).join(', ')} did not read back as expected.`);
      return 1;
    }
    out(`All ${rows.length} segments match: encrypted segments hold ciphertext that decrypts to the build, plain ones hold the build as is.`);
    return 0;
  } finally {
    await pty?.close();
    await build.cleanup?.();
  }
}

if (require.main === module) {
  runAsScript(
    runDemo(
      process.argv.slice(2),
      (l) => process.stdout.write(l + '\n'),
      (l) => process.stderr.write(l + '\n'),
    ),
  );
}
