/**
 * The entry point every face uses: a folder (workspace root, project folder or build folder)
 * → the kind of build found, its FlashPlan, and every Problem (the reader's and checkPlan's).
 */
import * as path from 'node:path';
import type { ChipName } from '../chips';
import { checkPlan } from '../plan/check_plan';
import type { FlashPlan } from '../plan/flash_plan';
import { errorProblem, warningProblem, type Problem } from '../plan/problem';
import { isDir, isFile, listDir, mtimeMs, readText } from './fs_util';
import { readIdfBuild } from './read_idf';
import { readPlainPairsRaw, type PlainPair } from './read_plain';
import { readPlatformioProject } from './read_platformio';
import { readRustProject } from './read_rust';

export type ProjectKind = 'esp-idf' | 'platformio' | 'rust' | 'plain' | 'none';

export interface ReadProjectOptions {
  /** PlatformIO env (default: default_envs, the only env, or the most recently built). */
  env?: string;
  /** Chip to plan for (default: what the build says). */
  chip?: ChipName;
  /** Rust: bootloader image to use. */
  bootloader?: string;
  /** Rust: partition table (binary or CSV) to use. */
  partitionTable?: string;
  /** PlatformIO core folder (packages/) for Arduino's boot_app0.bin; default $PLATFORMIO_CORE_DIR or ~/.platformio. */
  platformioCoreDir?: string;
  /** Run checkPlan and add its problems (default true). */
  check?: boolean;
}

export interface ReadProjectResult {
  plan: FlashPlan;
  problems: Problem[];
  kind: ProjectKind;
  buildDir?: string;
  /** Every path looked at, in order (shown when nothing is found). */
  looked: string[];
}

interface Found {
  kind: 'esp-idf' | 'platformio' | 'rust';
  /** ESP-IDF: the build folder; PlatformIO/Rust: the project folder. */
  dir: string;
  env?: string;
  /** The file whose age says how recent the build is. */
  marker: string;
}

const IDF_MARKERS = ['flasher_args.json', 'flash_args', 'flash_project_args'];
const SKIP_DIRS = new Set(['node_modules', 'target', '.git', '.pio', '.vscode', 'dist', 'out', 'managed_components', 'components']);

async function firstFile(dir: string, names: string[], looked: string[]): Promise<string | undefined> {
  for (const n of names) {
    const f = path.join(dir, n);
    looked.push(f);
    if (await isFile(f)) return f;
  }
  return undefined;
}

async function detectHere(dir: string, looked: string[]): Promise<Found | undefined> {
  const parts = dir.split(path.sep);
  const n = parts.length;
  if (n >= 3 && parts[n - 3] === '.pio' && parts[n - 2] === 'build') {
    return { kind: 'platformio', dir: parts.slice(0, n - 3).join(path.sep) || path.sep, env: parts[n - 1], marker: dir };
  }
  const idfHere = await firstFile(dir, IDF_MARKERS, looked);
  if (idfHere) return { kind: 'esp-idf', dir, marker: idfHere };
  const pio = await firstFile(dir, ['platformio.ini'], looked);
  if (pio) return { kind: 'platformio', dir, marker: pio };
  const idfBuild = await firstFile(path.join(dir, 'build'), IDF_MARKERS, looked);
  if (idfBuild) return { kind: 'esp-idf', dir: path.join(dir, 'build'), marker: idfBuild };
  const cargo = await firstFile(dir, ['Cargo.toml'], looked);
  if (cargo) return { kind: 'rust', dir, marker: cargo };
  const cmake = await firstFile(dir, ['CMakeLists.txt'], looked);
  if (cmake && /\bproject\.cmake\b|\bidf_component_register\b|\$ENV\{IDF_PATH\}/.test((await readText(cmake)) ?? '')) {
    return { kind: 'esp-idf', dir: path.join(dir, 'build'), marker: cmake };
  }
  return undefined;
}

/** Folder itself, else its subfolders (two levels), most recently built first. */
async function detect(folder: string, looked: string[]): Promise<{ found?: Found; others: Found[] }> {
  const here = await detectHere(folder, looked);
  if (here) return { found: here, others: [] };
  const found: Found[] = [];
  let level = [folder];
  for (let depth = 0; depth < 2 && found.length === 0; depth++) {
    const next: string[] = [];
    for (const d of level) {
      for (const e of (await listDir(d)).sort()) {
        if (e.startsWith('.') || SKIP_DIRS.has(e)) continue;
        const sub = path.join(d, e);
        if (!(await isDir(sub))) continue;
        const f = await detectHere(sub, looked);
        if (f) found.push(f);
        else next.push(sub);
      }
    }
    level = next;
  }
  const timed = await Promise.all(found.map(async (f) => ({ f, t: await mtimeMs(f.marker) })));
  timed.sort((a, b) => b.t - a.t);
  return { found: timed[0]?.f, others: timed.slice(1).map((x) => x.f) };
}

function withChecks(plan: FlashPlan, problems: Problem[], check: boolean | undefined): Problem[] {
  if (check === false) return problems;
  const seen = new Set(problems.map((p) => p.message));
  return [...problems, ...checkPlan(plan).filter((p) => !seen.has(p.message))];
}

export async function readProject(folder: string, opts: ReadProjectOptions = {}): Promise<ReadProjectResult> {
  const abs = path.resolve(folder);
  const looked: string[] = [];
  if (!(await isDir(abs))) {
    return {
      plan: { settings: { mode: 'keep', size: 'keep', freq: 'keep' }, segments: [], source: abs },
      problems: [errorProblem(`${abs} is not a folder. Give the project folder, its build folder, or a workspace that contains a project.`, abs)],
      kind: 'none',
      looked: [abs],
    };
  }
  const { found, others } = await detect(abs, looked);
  if (!found) {
    return {
      plan: { settings: { mode: 'keep', size: 'keep', freq: 'keep' }, segments: [], source: abs },
      problems: [
        errorProblem(
          `No ESP-IDF build (build/flasher_args.json), PlatformIO project (platformio.ini) or cargo project (Cargo.toml) found in ${abs} or two levels below. ` +
            `Open the project folder, or build the project first.`,
          abs,
        ),
      ],
      kind: 'none',
      looked,
    };
  }
  const pre: Problem[] = [];
  if (others.length > 0) {
    pre.push(
      warningProblem(
        `${abs} holds several projects (${[found, ...others].map((f) => path.relative(abs, f.dir) || '.').join(', ')}); using ${path.relative(abs, found.dir)} (most recently built). Open the one you want to be sure.`,
        abs,
      ),
    );
  }
  try {
    if (found.kind === 'esp-idf') {
      const r = await readIdfBuild(found.dir, { chip: opts.chip, looked });
      return { plan: r.plan, problems: withChecks(r.plan, [...pre, ...r.problems], opts.check), kind: 'esp-idf', buildDir: found.dir, looked };
    }
    if (found.kind === 'platformio') {
      const r = await readPlatformioProject(found.dir, { env: opts.env ?? found.env, chip: opts.chip, platformioCoreDir: opts.platformioCoreDir, looked });
      return { plan: r.plan, problems: withChecks(r.plan, [...pre, ...r.problems], opts.check), kind: 'platformio', buildDir: r.buildDir, looked };
    }
    const r = await readRustProject(found.dir, { chip: opts.chip, bootloader: opts.bootloader, partitionTable: opts.partitionTable, looked });
    return { plan: r.plan, problems: withChecks(r.plan, [...pre, ...r.problems], opts.check), kind: 'rust', buildDir: r.buildDir, looked };
  } catch (e) {
    // Readers turn bad input into problems; anything else is a bug, still reported as a problem.
    return {
      plan: { settings: { mode: 'keep', size: 'keep', freq: 'keep' }, segments: [], source: found.dir },
      problems: [...pre, errorProblem(`Reading the ${found.kind} project in ${found.dir} failed unexpectedly: ${(e as Error).message}. Please report this with the folder's build files.`, found.dir)],
      kind: found.kind,
      looked,
    };
  }
}

/** Plain offset/file pairs (relative paths from the current folder) → plan + problems (checkPlan included). */
export async function readPlainPairs(pairs: PlainPair[], opts: { chip?: ChipName; baseDir?: string; check?: boolean } = {}): Promise<{ plan: FlashPlan; problems: Problem[] }> {
  const r = await readPlainPairsRaw(pairs, opts);
  return { plan: r.plan, problems: withChecks(r.plan, r.problems, opts.check) };
}
