/**
 * ESP-IDF configuration as a build leaves it: build/config/sdkconfig.json (names without the
 * CONFIG_ prefix), the project's sdkconfig (CONFIG_X=y / # CONFIG_X is not set),
 * build/config/sdkconfig.h (#define CONFIG_X 1) or an excerpt of CONFIG_X=value lines.
 */
import { readFile } from 'node:fs/promises';
import type { FlashEncryptionMode } from '../plan/flash_plan';
import { warningProblem, type Problem } from '../plan/problem';

export type SdkValue = string | number | boolean;

export interface Sdkconfig {
  file: string;
  /** Option name without CONFIG_ → value. */
  values: Map<string, SdkValue>;
}

function unquote(v: string): SdkValue {
  const t = v.trim();
  if (t.startsWith('"') && t.endsWith('"') && t.length >= 2) return t.slice(1, -1).replace(/\\"/g, '"').replace(/\\\\/g, '\\');
  if (t === 'y') return true;
  if (t === 'n') return false;
  if (/^-?\d+$/.test(t)) return Number(t);
  if (/^0x[0-9a-f]+$/i.test(t)) return parseInt(t.slice(2), 16);
  return t;
}

export function parseSdkconfigText(text: string): Map<string, SdkValue> {
  const values = new Map<string, SdkValue>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    let m = /^#\s*CONFIG_([A-Za-z0-9_]+) is not set$/.exec(line);
    if (m) {
      values.set(m[1], false);
      continue;
    }
    m = /^#define\s+CONFIG_([A-Za-z0-9_]+)\s+(.*)$/.exec(line);
    if (m) {
      values.set(m[1], unquote(m[2]));
      continue;
    }
    m = /^CONFIG_([A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (m) values.set(m[1], unquote(m[2]));
  }
  return values;
}

export function parseSdkconfigJson(text: string): Map<string, SdkValue> {
  const obj: unknown = JSON.parse(text);
  const values = new Map<string, SdkValue>();
  if (obj && typeof obj === 'object' && !Array.isArray(obj)) {
    for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
      const key = k.startsWith('CONFIG_') ? k.slice(7) : k;
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') values.set(key, v);
    }
  }
  return values;
}

/** Reads the first candidate that exists and parses; unreadable candidates become warnings. */
export async function readSdkconfig(candidates: string[], problems: Problem[], looked?: string[]): Promise<Sdkconfig | undefined> {
  for (const file of candidates) {
    looked?.push(file);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    try {
      const values = file.endsWith('.json') ? parseSdkconfigJson(text) : parseSdkconfigText(text);
      if (values.size > 0) return { file, values };
      problems.push(warningProblem(`${file} holds no CONFIG_ options; ignored.`, file));
    } catch (e) {
      problems.push(warningProblem(`${file} is not valid JSON (${(e as Error).message}); ignored. Re-run the build to regenerate it.`, file));
    }
  }
  return undefined;
}

export function sdkTrue(cfg: Sdkconfig | undefined, key: string): boolean {
  const v = cfg?.values.get(key);
  return v === true || v === 1 || v === 'y' || v === '1';
}

export function sdkString(cfg: Sdkconfig | undefined, key: string): string | undefined {
  const v = cfg?.values.get(key);
  return typeof v === 'string' ? v : undefined;
}

export function sdkNumber(cfg: Sdkconfig | undefined, key: string): number | undefined {
  const v = cfg?.values.get(key);
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v)) return Number(v);
  return undefined;
}

/** Flash-encryption mode from SECURE_FLASH_ENC_ENABLED and the mode choice (default development). */
export function flashEncryptionMode(cfg: Sdkconfig | undefined): FlashEncryptionMode | undefined {
  if (!cfg) return undefined;
  if (!sdkTrue(cfg, 'SECURE_FLASH_ENC_ENABLED') && !sdkTrue(cfg, 'FLASH_ENCRYPTION_ENABLED')) return 'off';
  if (sdkTrue(cfg, 'SECURE_FLASH_ENCRYPTION_MODE_RELEASE')) return 'release';
  return 'development';
}
