/**
 * Typed settings of the extension (the shape config.ts reads from VS Code) and their
 * translation, with the plan's own requests, into the core's FlashOptions. No vscode here.
 */
import * as path from 'node:path';
import { CHIP_NAMES, type ChipName } from '../core/chips';
import type { AfterReset, BeforeReset, FlashOptions, HostKeyOptions } from '../core/flash/api';
import type { DeviceCacheStore } from '../core/flash/device_cache';
import type { FlashEventListener } from '../core/flash/events';
import type { FlashPlan } from '../core/plan/flash_plan';
import type { EncryptedBy } from '../core/plan/segment_encryption';

export const BAUD_RATES = [115200, 230400, 460800, 921600, 1500000, 2000000] as const;
import { AFTER_VALUES, BEFORE_VALUES, connectFromBuild } from '../core/plan/build_connect';
export { AFTER_VALUES, BEFORE_VALUES };
/** How Flash (Encrypted) encrypts: the core's one type (src/core/plan/segment_encryption.ts). */
export type EncryptionMode = EncryptedBy;

export interface Settings {
  port: string;
  baud: number;
  chip: ChipName | 'auto';
  before: BeforeReset | 'build';
  after: AfterReset | 'build';
  stub: 'build' | 'stub' | 'rom';
  verify: boolean;
  skipUnchanged: boolean;
  /** Remember per device what was written (the device cache, in the extension's global storage). */
  deviceCache: boolean;
  compress: boolean;
  encryptionMode: EncryptionMode;
  keyFile: string;
  keyFolder: string;
  buildFolder: string;
  /** Flash All: the production report (.jsonl or .csv) each device's record is appended to; '' = none. */
  lineReportFile: string;
}

export const DEFAULT_SETTINGS: Settings = {
  port: '',
  baud: 460800,
  chip: 'auto',
  before: 'build',
  after: 'build',
  stub: 'build',
  verify: true,
  skipUnchanged: true,
  deviceCache: true,
  compress: true,
  encryptionMode: 'device',
  keyFile: '',
  keyFolder: '',
  buildFolder: '',
  lineReportFile: '',
};

/** Accepts both spellings builds use ("default_reset" before IDF 6, "default-reset" after). */
function oneOf<T extends string>(value: string | undefined, allowed: readonly T[]): T | undefined {
  if (!value) return undefined;
  const v = value.trim().toLowerCase().replace(/_/g, '-');
  return (allowed as readonly string[]).includes(v) ? (v as T) : undefined;
}

/** Coerces raw setting values (from any source) into Settings, falling back to defaults. */
export function normalizeSettings(raw: Partial<Record<keyof Settings, unknown>>): Settings {
  const s: Settings = { ...DEFAULT_SETTINGS };
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const bool = (v: unknown, d: boolean): boolean => (typeof v === 'boolean' ? v : d);
  s.port = str(raw.port)?.trim() ?? s.port;
  const baud = typeof raw.baud === 'number' ? raw.baud : Number(str(raw.baud));
  if (Number.isInteger(baud) && baud >= 300) s.baud = baud;
  const chip = str(raw.chip);
  if (chip && (chip === 'auto' || (CHIP_NAMES as string[]).includes(chip))) s.chip = chip as ChipName | 'auto';
  s.before = str(raw.before) === 'build' ? 'build' : (oneOf(str(raw.before), BEFORE_VALUES) ?? s.before);
  s.after = str(raw.after) === 'build' ? 'build' : (oneOf(str(raw.after), AFTER_VALUES) ?? s.after);
  const stub = str(raw.stub);
  if (stub === 'build' || stub === 'stub' || stub === 'rom') s.stub = stub;
  s.verify = bool(raw.verify, s.verify);
  s.skipUnchanged = bool(raw.skipUnchanged, s.skipUnchanged);
  s.deviceCache = bool(raw.deviceCache, s.deviceCache);
  s.compress = bool(raw.compress, s.compress);
  s.encryptionMode = str(raw.encryptionMode) === 'host' ? 'host' : 'device';
  s.keyFile = str(raw.keyFile)?.trim() ?? '';
  s.keyFolder = str(raw.keyFolder)?.trim() ?? '';
  s.buildFolder = str(raw.buildFolder)?.trim() ?? '';
  s.lineReportFile = str(raw.lineReportFile)?.trim() ?? '';
  return s;
}

/** A setting's path taken relative to the workspace folder when it is not absolute. */
export function resolveSettingPath(value: string, folder: string | undefined): string | undefined {
  if (!value) return undefined;
  if (path.isAbsolute(value) || !folder) return value;
  return path.join(folder, value);
}

export function hostKeyFrom(settings: Settings, folder: string | undefined): HostKeyOptions | undefined {
  const keyFile = resolveSettingPath(settings.keyFile, folder);
  const keyDir = resolveSettingPath(settings.keyFolder, folder);
  if (!keyFile && !keyDir) return undefined;
  return { ...(keyFile ? { keyFile } : {}), ...(keyDir ? { keyDir } : {}) };
}

export interface JobOptions {
  port: string;
  folder?: string;
  signal?: AbortSignal;
  onEvent?: FlashEventListener;
  force?: boolean;
  /** The device cache's store (used when the deviceCache setting is on). */
  deviceCache?: DeviceCacheStore;
}

export function flashOptionsFrom(settings: Settings, plan: FlashPlan | undefined, job: JobOptions): FlashOptions {
  // The build's reset/stub/chip requests merged with the settings: one core function (CLI alike).
  const { before, after, stub, chip } = connectFromBuild(plan, {
    before: settings.before,
    after: settings.after,
    stub: settings.stub === 'build' ? 'build' : settings.stub === 'stub',
    chip: settings.chip,
  });
  const options: FlashOptions = {
    port: job.port,
    baud: settings.baud,
    chip: chip ?? settings.chip,
    stub,
    verify: settings.verify,
    skipUnchanged: settings.skipUnchanged,
    compress: settings.compress,
  };
  if (before) options.before = before;
  if (after) options.after = after;
  if (plan) options.settings = plan.settings;
  if (plan?.partitions?.length) {
    options.partitions = plan.partitions;
    if (plan.partitionTableOffset !== undefined) options.partitionTableOffset = plan.partitionTableOffset;
  }
  const hostKey = hostKeyFrom(settings, job.folder);
  if (hostKey) options.hostKey = hostKey;
  if (job.signal) options.signal = job.signal;
  if (job.onEvent) options.onEvent = job.onEvent;
  if (job.force) options.force = true;
  if (job.deviceCache && settings.deviceCache) options.deviceCache = job.deviceCache;
  return options;
}
