/**
 * The entry point every face uses: a folder (workspace root, project folder or build folder)
 * → the kind of build found, its FlashPlan, and every Problem (the reader's and checkPlan's).
 */
import { InternalError } from '../errors';
import * as path from 'node:path';
import type { ChipName } from '../chips';
import { checkPlan } from '../plan/check_plan';
import type { FlashPlan } from '../plan/flash_plan';
import { errorProblem, warningProblem, type Problem } from '../plan/problem';
import { isDir, listDir, mtimeMs } from './fs_util';
import { BUILD_READERS, readerFor, type FoundBuild } from './build_readers';
import { readPlainPairsRaw, type PlainPair } from './read_plain';

/** A registered reader's kind (build_readers.ts), 'plain' (offset/file pairs) or 'none'. */
export type ProjectKind = 'esp-idf' | 'platformio' | 'rust' | 'plain' | 'none' | (string & {});

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

type Found = FoundBuild;

const SKIP_DIRS = new Set(['node_modules', 'target', '.git', '.pio', '.vscode', 'dist', 'out', 'managed_components', 'components']);

/** The first registered reader that recognises `dir` (build_readers.ts). */
async function detectHere(dir: string, looked: string[]): Promise<Found | undefined> {
  for (const reader of BUILD_READERS) {
    const found = await reader.detect(dir, looked);
    if (found) return found;
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
    const reader = readerFor(found.kind);
    if (!reader) throw new InternalError(`no reader for ${found.kind}`);
    const r = await reader.read(found, {
      env: opts.env,
      chip: opts.chip,
      bootloader: opts.bootloader,
      partitionTable: opts.partitionTable,
      platformioCoreDir: opts.platformioCoreDir,
      looked,
    });
    return { plan: r.plan, problems: withChecks(r.plan, [...pre, ...r.problems], opts.check), kind: found.kind as ProjectKind, buildDir: r.buildDir, looked };
  } catch (e) {
    // Readers turn bad input into problems; anything else is a bug, still reported as a problem.
    return {
      plan: { settings: { mode: 'keep', size: 'keep', freq: 'keep' }, segments: [], source: found.dir },
      problems: [
        ...pre,
        errorProblem(
          `Reading the ${found.kind} project in ${found.dir} failed unexpectedly: ${(e as Error).message}. Please report this with the folder's build files.`,
          found.dir,
        ),
      ],
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
