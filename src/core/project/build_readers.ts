/**
 * The registry of build readers. To add a build system: write one reader file exporting a
 * BuildReader (how to recognise its folder, how to read it into a FlashPlan), and add one line
 * to BUILD_READERS. readProject (read_project.ts) walks the folders and asks each reader in order.
 */
import * as path from 'node:path';
import type { ChipName } from '../chips';
import type { FlashPlan } from '../plan/flash_plan';
import type { Problem } from '../plan/problem';
import { isFile, readText } from './fs_util';
import { readIdfBuild } from './read_idf';
import { readPlatformioProject } from './read_platformio';
import { readRustProject } from './read_rust';

export interface ReaderOptions {
  env?: string;
  chip?: ChipName;
  bootloader?: string;
  partitionTable?: string;
  platformioCoreDir?: string;
  looked: string[];
}

/** A folder a reader recognised. */
export interface FoundBuild {
  kind: string;
  /** ESP-IDF: the build folder; PlatformIO/Rust: the project folder. */
  dir: string;
  env?: string;
  /** The file whose age says how recent the build is. */
  marker: string;
}

export interface BuildReader {
  /** 'esp-idf', 'platformio', 'rust', … */
  kind: string;
  /** "ESP-IDF build" */
  label: string;
  /** Is `dir` this build system's folder? Push every path looked at onto `looked`. */
  detect(dir: string, looked: string[]): Promise<FoundBuild | undefined>;
  read(found: FoundBuild, opts: ReaderOptions): Promise<{ plan: FlashPlan; problems: Problem[]; buildDir?: string }>;
}

async function firstFile(dir: string, names: string[], looked: string[]): Promise<string | undefined> {
  for (const n of names) {
    const f = path.join(dir, n);
    looked.push(f);
    if (await isFile(f)) return f;
  }
  return undefined;
}

const IDF_MARKERS = ['flasher_args.json', 'flash_args', 'flash_project_args'];

export const platformioReader: BuildReader = {
  kind: 'platformio',
  label: 'PlatformIO build',
  async detect(dir, looked) {
    const parts = dir.split(path.sep);
    const n = parts.length;
    if (n >= 3 && parts[n - 3] === '.pio' && parts[n - 2] === 'build') {
      return { kind: 'platformio', dir: parts.slice(0, n - 3).join(path.sep) || path.sep, env: parts[n - 1], marker: dir };
    }
    const pio = await firstFile(dir, ['platformio.ini'], looked);
    return pio ? { kind: 'platformio', dir, marker: pio } : undefined;
  },
  read: (found, opts) => readPlatformioProject(found.dir, { env: opts.env ?? found.env, chip: opts.chip, platformioCoreDir: opts.platformioCoreDir, looked: opts.looked }),
};

export const idfReader: BuildReader = {
  kind: 'esp-idf',
  label: 'ESP-IDF build',
  async detect(dir, looked) {
    const here = await firstFile(dir, IDF_MARKERS, looked);
    if (here) return { kind: 'esp-idf', dir, marker: here };
    const sub = await firstFile(path.join(dir, 'build'), IDF_MARKERS, looked);
    if (sub) return { kind: 'esp-idf', dir: path.join(dir, 'build'), marker: sub };
    return undefined;
  },
  async read(found, opts) {
    const r = await readIdfBuild(found.dir, { chip: opts.chip, looked: opts.looked });
    return { ...r, buildDir: found.dir };
  },
};

export const rustReader: BuildReader = {
  kind: 'rust',
  label: 'Rust (cargo) build',
  async detect(dir, looked) {
    const cargo = await firstFile(dir, ['Cargo.toml'], looked);
    return cargo ? { kind: 'rust', dir, marker: cargo } : undefined;
  },
  read: (found, opts) => readRustProject(found.dir, { chip: opts.chip, bootloader: opts.bootloader, partitionTable: opts.partitionTable, looked: opts.looked }),
};

/** An ESP-IDF project not built yet (CMakeLists.txt that includes project.cmake): read as its build/ folder. */
export const idfUnbuiltReader: BuildReader = {
  kind: 'esp-idf',
  label: 'ESP-IDF build',
  async detect(dir, looked) {
    const cmake = await firstFile(dir, ['CMakeLists.txt'], looked);
    if (cmake && /\bproject\.cmake\b|\bidf_component_register\b|\$ENV\{IDF_PATH\}/.test((await readText(cmake)) ?? '')) {
      return { kind: 'esp-idf', dir: path.join(dir, 'build'), marker: cmake };
    }
    return undefined;
  },
  read: (found, opts) => idfReader.read(found, opts),
};

/** In order: the first reader that recognises a folder reads it. */
export const BUILD_READERS: BuildReader[] = [platformioReader, idfReader, rustReader, idfUnbuiltReader];

export function readerFor(kind: string): BuildReader | undefined {
  return BUILD_READERS.find((r) => r.kind === kind);
}
