/**
 * Rust / cargo project (esp-hal, esp-idf-svc) → FlashPlan (§8.2): the ELF under
 * target/<triple>/<profile>/ converted to an app image (§6.3); bootloader and partition table
 * from the caller, espflash.toml / Cargo.toml metadata, or esp-idf-sys's copies beside the ELF.
 * Without them: an app-only plan at the app partition offset, with a problem saying so.
 */
import * as path from 'node:path';
import { CHIP_NAMES, chipFacts, normalizeChipName, type ChipName, type FlashMode } from '../chips';
import { hex, parseFlashNumber } from '../formats/bytes';
import { isElf } from '../formats/elf';
import { elfToImage } from '../formats/elf_to_image';
import { FormatError } from '../formats/format_error';
import { normalizeFlashFreq, normalizeFlashSize } from '../formats/flash_params';
import { looksLikeImage, parseImage } from '../formats/image_parse';
import { looksLikePartitionTable, parsePartitionTable, writePartitionTable } from '../formats/partition_binary';
import { parsePartitionCsv } from '../formats/partition_csv';
import { PARTITION_TABLE_DEFAULT_OFFSET, defaultAppPartition } from '../formats/partition_table';
import type { FlashPlan, FlashSettings, PartitionRef } from '../plan/flash_plan';
import { errorProblem, warningProblem, type Problem } from '../plan/problem';
import { isDir, isFile, listDir, mtimeMs, readHead, readText } from './fs_util';
import { buildSegments, readBytes, type DraftSegment } from './plan_builder';
import type { ReaderResult } from './read_idf';
import { parseTomlLite, tomlGet, type TomlTables } from './toml_lite';

export interface ReadRustOptions {
  chip?: ChipName;
  bootloader?: string;
  partitionTable?: string;
  looked?: string[];
}

export interface RustResult extends ReaderResult {
  buildDir?: string;
}

interface ElfCandidate {
  file: string;
  triple: string;
  profile: string;
  mtime: number;
}

const KNOWN_TRIPLES = new Set(CHIP_NAMES.flatMap((c) => chipFacts(c).rustTriples));

async function readToml(file: string, looked?: string[]): Promise<TomlTables | undefined> {
  looked?.push(file);
  const text = await readText(file);
  return text === undefined ? undefined : parseTomlLite(text);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

/** First of `keys` found in any of `tables` of a TOML document. */
function pick(t: TomlTables | undefined, tables: string[], keys: string[]): string | undefined {
  if (!t) return undefined;
  for (const tb of tables)
    for (const k of keys) {
      const v = str(tomlGet(t, tb, k));
      if (v) return v;
    }
  return undefined;
}

async function findElves(targetDir: string, crate: string | undefined): Promise<ElfCandidate[]> {
  const out: ElfCandidate[] = [];
  for (const triple of await listDir(targetDir)) {
    if (!KNOWN_TRIPLES.has(triple) && !/^(xtensa|riscv32)/.test(triple)) continue;
    for (const profile of await listDir(path.join(targetDir, triple))) {
      const dir = path.join(targetDir, triple, profile);
      if (!(await isDir(dir))) continue;
      const entries = await listDir(dir);
      const named = crate ? [crate, crate.replace(/-/g, '_')].filter((n) => entries.includes(n)) : [];
      // [[bin]] names or workspaces: any extension-less file that is an ELF.
      const names = named.length > 0 ? named : entries.filter((n) => !n.includes('.'));
      for (const n of [...new Set(names)]) {
        const file = path.join(dir, n);
        if (!(await isFile(file))) continue;
        const head = await readHead(file, 4);
        if (head && isElf(head)) out.push({ file, triple, profile, mtime: await mtimeMs(file) });
      }
    }
  }
  return out.sort((a, b) => b.mtime - a.mtime);
}

function chipFromText(text: string | undefined): ChipName | undefined {
  if (!text) return undefined;
  const m = /--chip[=\s]+"?([A-Za-z0-9-]+)/.exec(text) ?? /\bMCU\s*=\s*"([A-Za-z0-9-]+)"/.exec(text);
  if (m) return normalizeChipName(m[1]);
  const quoted = [...text.matchAll(/"(esp32[a-z0-9]*|esp8266)"/g)].map((x) => normalizeChipName(x[1])).filter((x): x is ChipName => !!x);
  const distinct = [...new Set(quoted)];
  return distinct.length === 1 ? distinct[0] : undefined;
}

async function loadTable(file: string, tableOffset: number, problems: Problem[]): Promise<{ bytes?: Uint8Array; partitions?: PartitionRef[] }> {
  const bytes = await readBytes(file);
  if (!bytes) {
    problems.push(errorProblem(`Partition table ${file} does not exist; fix the path (the partition-table option or espflash.toml partition_table).`, file, 'partition_table'));
    return {};
  }
  if (looksLikePartitionTable(bytes)) return { bytes, partitions: parsePartitionTable(bytes, { file, tableOffset }).partitions };
  const csv = parsePartitionCsv(Buffer.from(bytes).toString('utf8'), { file, tableOffset });
  problems.push(...csv.problems);
  if (csv.problems.some((p) => p.severity === 'error') || csv.partitions.length === 0) {
    if (csv.partitions.length === 0) problems.push(errorProblem(`${file} is neither a partition table binary nor a partition CSV with rows.`, file, 'partition_table'));
    return {};
  }
  return { bytes: writePartitionTable(csv.partitions), partitions: csv.partitions };
}

export async function readRustProject(projectDir: string, opts: ReadRustOptions = {}): Promise<RustResult> {
  const problems: Problem[] = [];
  const looked = opts.looked;
  const inputs: string[] = [];
  const cargoFile = path.join(projectDir, 'Cargo.toml');
  const cargo = await readToml(cargoFile, looked);
  if (cargo) inputs.push(cargoFile);
  const espflashFile = path.join(projectDir, 'espflash.toml');
  const espflash = await readToml(espflashFile, looked);
  if (espflash) inputs.push(espflashFile);
  const configFile = path.join(projectDir, '.cargo', 'config.toml');
  const configText = (await readText(configFile)) ?? (await readText(path.join(projectDir, '.cargo', 'config')));
  looked?.push(configFile);
  const crate = str(tomlGet(cargo ?? new Map(), 'package', 'name'));
  const empty: FlashPlan = { settings: { mode: 'keep', size: 'keep', freq: 'keep' }, segments: [], source: projectDir, inputs };

  // 1. The ELF.
  const targetDir = path.join(projectDir, 'target');
  looked?.push(targetDir);
  const elves = await findElves(targetDir, crate);
  if (elves.length === 0) {
    problems.push(
      errorProblem(
        `No firmware ELF for ${crate ? `crate "${crate}"` : 'this cargo project'} under ${targetDir}/<target-triple>/<profile>/. Build it first (cargo build --release).`,
        cargoFile,
        'target',
      ),
    );
    return { plan: empty, problems };
  }
  const elf = elves[0];
  if (elves.length > 1) {
    problems.push(
      warningProblem(
        `Several firmware ELFs found (${elves.map((e) => path.relative(projectDir, e.file)).join(', ')}); using the most recently built, ${path.relative(projectDir, elf.file)}.`,
        elf.file,
        'target',
      ),
    );
  }
  const buildDir = path.dirname(elf.file);
  inputs.push(elf.file);

  // 2. The chip.
  const byTriple = CHIP_NAMES.filter((c) => chipFacts(c).rustTriples.includes(elf.triple));
  const chip = opts.chip ?? chipFromText(configText) ?? chipFromText(await readText(cargoFile)) ?? (byTriple.length === 1 ? byTriple[0] : undefined);
  if (!chip) {
    problems.push(
      errorProblem(
        `Cannot tell which chip ${path.relative(projectDir, elf.file)} is for: target ${elf.triple} fits ${byTriple.join(', ') || 'no known chip'}. Set the chip (or add --chip to the espflash runner in .cargo/config.toml).`,
        elf.file,
        'chip',
      ),
    );
    return { plan: empty, problems, buildDir };
  }
  if (!chipFacts(chip).rustTriples.includes(elf.triple) && KNOWN_TRIPLES.has(elf.triple)) {
    problems.push(
      warningProblem(
        `${path.relative(projectDir, elf.file)} is built for ${elf.triple}, which is not a ${chipFacts(chip).displayName} target (${chipFacts(chip).rustTriples.join(', ')}).`,
        elf.file,
        'chip',
      ),
    );
  }

  // 3. Bootloader and partition table.
  const profileDir = buildDir;
  const cfgTables = ['', 'idf', 'idf_format_args', 'package.metadata.espflash'];
  const fromConfig = (key: string) => pick(espflash, cfgTables, [key]) ?? pick(cargo, ['package.metadata.espflash'], [key]);
  let bootFile = opts.bootloader ? path.resolve(opts.bootloader) : undefined;
  let bootWhy = 'given explicitly';
  const cfgBoot = fromConfig('bootloader');
  if (!bootFile && cfgBoot) {
    bootFile = path.resolve(projectDir, cfgBoot);
    bootWhy = 'espflash.toml / Cargo.toml bootloader';
  }
  if (!bootFile && (await isFile(path.join(profileDir, 'bootloader.bin')))) {
    bootFile = path.join(profileDir, 'bootloader.bin');
    bootWhy = 'built by esp-idf-sys';
  }
  let tableFile = opts.partitionTable ? path.resolve(opts.partitionTable) : undefined;
  let tableWhy = 'given explicitly';
  const cfgTable = fromConfig('partition_table');
  if (!tableFile && cfgTable) {
    tableFile = path.resolve(projectDir, cfgTable);
    tableWhy = 'espflash.toml / Cargo.toml partition_table';
  }
  if (!tableFile && (await isFile(path.join(profileDir, 'partition-table.bin')))) {
    tableFile = path.join(profileDir, 'partition-table.bin');
    tableWhy = 'built by esp-idf-sys';
  }
  const offRaw = cfgTables.map((tb) => (espflash ? tomlGet(espflash, tb, 'partition_table_offset') : undefined)).find((v) => v !== undefined);
  const tableOffset = (typeof offRaw === 'number' ? offRaw : typeof offRaw === 'string' ? parseFlashNumber(offRaw) : undefined) ?? PARTITION_TABLE_DEFAULT_OFFSET;
  const table = tableFile ? await loadTable(tableFile, tableOffset, problems) : {};
  if (tableFile) inputs.push(tableFile);
  const bootBytes = bootFile ? await readBytes(bootFile) : undefined;
  if (bootFile) inputs.push(bootFile);

  // 4. Flash settings: espflash.toml [flash], else the bootloader's header, else keep.
  const flashCfg = (k: string) => pick(espflash, ['flash'], [k]);
  const bootInfo = bootBytes && looksLikeImage(bootBytes) ? parseImage(bootBytes, { chip }).info : undefined;
  const settings: FlashSettings = { mode: 'keep', size: 'keep', freq: 'keep' };
  const cfgMode = flashCfg('mode')?.toLowerCase();
  if (cfgMode && ['qio', 'qout', 'dio', 'dout'].includes(cfgMode)) settings.mode = cfgMode as FlashMode;
  const cfgSize = flashCfg('size');
  if (cfgSize && normalizeFlashSize(cfgSize)) settings.size = normalizeFlashSize(cfgSize) as string;
  const cfgFreq = flashCfg('frequency') ?? flashCfg('freq');
  if (cfgFreq && normalizeFlashFreq(cfgFreq)) settings.freq = normalizeFlashFreq(cfgFreq) as string;
  const settingsSource = espflash && (cfgMode || cfgSize || cfgFreq) ? 'espflash.toml [flash]' : 'none (images keep their headers)';

  // 5. ELF → image.
  const elfBytes = (await readBytes(elf.file)) as Uint8Array;
  let appBytes: Uint8Array | undefined;
  try {
    const img = elfToImage(elfBytes, {
      chip,
      file: elf.file,
      flashMode: settings.mode !== 'keep' ? settings.mode : (bootInfo?.flashMode ?? 'dio'),
      flashSize: settings.size !== 'keep' && settings.size !== 'detect' ? settings.size : (bootInfo?.flashSize ?? '4MB'),
      flashFreq: settings.freq !== 'keep' ? settings.freq : bootInfo?.flashFreq,
    });
    appBytes = img.bytes;
  } catch (e) {
    const msg = e instanceof FormatError ? e.message : `${elf.file}: ${(e as Error).message}`;
    problems.push(errorProblem(`${msg} The app image cannot be made from this ELF.`, elf.file, 'app'));
  }

  const appPart = table.partitions ? defaultAppPartition(table.partitions) : undefined;
  const appOffset = appPart?.offset ?? 0x10000;
  const drafts: DraftSegment[] = [];
  if (bootFile) drafts.push({ name: 'bootloader', offset: chipFacts(chip).bootloaderOffset, file: bootFile, origin: `bootloader (${bootWhy})`, role: 'bootloader' });
  if (tableFile && table.bytes)
    drafts.push({ name: 'partition-table', offset: tableOffset, file: tableFile, origin: `partition table (${tableWhy})`, role: 'partition-table', bytes: table.bytes });
  if (appBytes) drafts.push({ name: 'app', offset: appOffset, file: elf.file, origin: `ELF → image (${path.relative(projectDir, elf.file)})`, role: 'app', bytes: appBytes });

  if (!bootFile || !tableFile) {
    const missing = [!bootFile ? 'bootloader' : '', !tableFile ? 'partition table' : ''].filter((x) => x).join(' and ');
    problems.push(
      warningProblem(
        `No ${missing} for this Rust project: the plan writes ${bootFile || tableFile ? 'what it has and ' : 'only '}the app at ${hex(appOffset)}` +
          `${appPart ? ` (partition ${appPart.label})` : ' (the default factory offset)'}. The device must already hold a compatible ${missing}. ` +
          `Give the bootloader / partition-table options, or set bootloader / partition_table in espflash.toml. ` +
          `For flash encryption, use an ESP-IDF-built bootloader with encryption enabled (espflash's bundled ones are not).`,
        espflash ? espflashFile : cargoFile,
        !bootFile ? 'bootloader' : 'partition_table',
      ),
    );
  }

  for (const d of drafts) d.encryptMark = { value: false, source: 'a cargo build carries no encrypted marks; mark the segment encrypted to write it encrypted' };
  const built = await buildSegments(drafts, { chip, tableOffset });
  const plan: FlashPlan = { chip, settings, settingsSource, segments: built.segments, source: buildDir, inputs };
  if (table.partitions) {
    plan.partitions = table.partitions;
    plan.partitionTableOffset = tableOffset;
  }
  return { plan, problems, buildDir };
}
