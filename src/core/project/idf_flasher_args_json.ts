/**
 * build/flasher_args.json in every format seen (§8.1): IDF 4.1 (`partition_table`, no
 * `encrypted`, `"stub": "TRUE"`), 4.4–5.x (underscored options), 6.x (hyphenated options,
 * `hard-reset`). Tolerant: wrong types and empty keys become warnings, not exceptions.
 */
import { parseFlashNumber } from '../formats/bytes';
import { errorProblem, warningProblem, type Problem } from '../plan/problem';

export interface FlasherArgsImage {
  /** Key in the JSON, normalised ("partition_table" → "partition-table"). */
  name: string;
  offset: number;
  file: string;
  /** undefined when the entry has no `encrypted` field (IDF 4.1). */
  encrypted?: boolean;
}

export interface FlasherArgsJson {
  file: string;
  mode?: string;
  size?: string;
  freq?: string;
  /** Which field the settings came from. */
  settingsField?: string;
  /** `flash_files` in order; undefined when the key is absent or unusable. */
  flashFiles?: { offset: number; file: string }[];
  images: FlasherArgsImage[];
  before?: string;
  after?: string;
  stub?: boolean;
  chip?: string;
  problems: Problem[];
}

const NOT_IMAGES = new Set(['write_flash_args', 'flash_settings', 'flash_files', 'extra_esptool_args']);

/** "Unexpected token … in JSON at position 123" → "line 5 column 3". */
function jsonErrorWhere(text: string, message: string): string {
  const m = /position (\d+)/.exec(message);
  if (!m) return '';
  const pos = Number(m[1]);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const col = pos - before.lastIndexOf('\n');
  return ` at line ${line} column ${col}`;
}

function asBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v.trim())) return v.trim().toLowerCase() === 'true';
  return undefined;
}

export function normaliseResetName(v: string): string {
  return v.trim().replace(/_/g, '-').toLowerCase();
}

export function parseFlasherArgsJson(text: string, file: string): FlasherArgsJson {
  const out: FlasherArgsJson = { file, images: [], problems: [] };
  const warn = (m: string, field?: string) => out.problems.push(warningProblem(`${file}: ${m}`, file, field));
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    out.problems.push(
      errorProblem(
        `${file} is not valid JSON${jsonErrorWhere(text, msg)} (${msg}). The file is truncated or damaged; re-run the build (idf.py reconfigure) to regenerate it.`,
        file,
      ),
    );
    return out;
  }
  if (!root || typeof root !== 'object' || Array.isArray(root)) {
    out.problems.push(
      errorProblem(
        `${file}: expected a JSON object at the top level, found ${root === null ? 'null' : Array.isArray(root) ? 'an array' : typeof root}. Re-run the build to regenerate it.`,
        file,
      ),
    );
    return out;
  }
  const obj = root as Record<string, unknown>;

  // Settings: flash_settings first (explicit keys), else write_flash_args.
  const fs = obj.flash_settings;
  if (fs !== undefined) {
    if (fs && typeof fs === 'object' && !Array.isArray(fs)) {
      const s = fs as Record<string, unknown>;
      for (const [key, prop] of [
        ['flash_mode', 'mode'],
        ['flash_size', 'size'],
        ['flash_freq', 'freq'],
      ] as const) {
        const v = s[key];
        if (typeof v === 'string' && v.trim() !== '') out[prop] = v.trim();
        else if (v !== undefined) warn(`flash_settings.${key} should be a non-empty string, found ${JSON.stringify(v)}; ignored.`, `flash_settings.${key}`);
      }
      out.settingsField = 'flash_settings';
    } else warn(`flash_settings should be an object, found ${JSON.stringify(fs)}; ignored.`, 'flash_settings');
  }
  const wfa = obj.write_flash_args;
  if (wfa !== undefined) {
    if (Array.isArray(wfa) && wfa.every((x) => typeof x === 'string')) {
      const args = wfa as string[];
      for (let i = 0; i < args.length; i++) {
        const opt = args[i].replace(/_/g, '-');
        const prop = opt === '--flash-mode' ? 'mode' : opt === '--flash-size' ? 'size' : opt === '--flash-freq' ? 'freq' : undefined;
        if (prop && args[i + 1] !== undefined) {
          if (out[prop] === undefined) {
            out[prop] = args[i + 1];
            out.settingsField ??= 'write_flash_args';
          } else if (out[prop] !== args[i + 1]) {
            warn(`write_flash_args says ${args[i]} ${args[i + 1]} but flash_settings says ${out[prop]}; flash_settings is used.`, 'write_flash_args');
          }
          i++;
        }
      }
    } else warn(`write_flash_args should be an array of strings; ignored.`, 'write_flash_args');
  }

  const ff = obj.flash_files;
  if (ff !== undefined) {
    if (ff && typeof ff === 'object' && !Array.isArray(ff)) {
      out.flashFiles = [];
      for (const [k, v] of Object.entries(ff as Record<string, unknown>)) {
        const offset = parseFlashNumber(k);
        if (k.trim() === '' || v === '' || v === null) {
          warn(`flash_files has an empty entry ("${k}": ${JSON.stringify(v)}); ignored.`, `flash_files.${k}`);
          continue;
        }
        if (offset === undefined) {
          warn(`flash_files key "${k}" is not an offset; entry ignored.`, `flash_files.${k}`);
          continue;
        }
        if (typeof v !== 'string') {
          warn(`flash_files.${k} should be a file path string, found ${JSON.stringify(v)}; ignored.`, `flash_files.${k}`);
          continue;
        }
        out.flashFiles.push({ offset, file: v.trim() });
      }
    } else warn(`flash_files should be an object of offset → file, found ${JSON.stringify(ff)}; ignored.`, 'flash_files');
  }

  for (const [key, v] of Object.entries(obj)) {
    if (NOT_IMAGES.has(key)) continue;
    const name = key === 'partition_table' ? 'partition-table' : key;
    if (key.trim() === '') {
      warn(`an entry has an empty name; ignored.`, '""');
      continue;
    }
    if (!v || typeof v !== 'object' || Array.isArray(v)) {
      warn(`"${key}" should be an object {offset, file, encrypted}, found ${JSON.stringify(v)}; ignored.`, key);
      continue;
    }
    const e = v as Record<string, unknown>;
    const offText = typeof e.offset === 'number' ? String(e.offset) : e.offset;
    const offset = typeof offText === 'string' ? parseFlashNumber(offText) : undefined;
    if (offText === '' || e.file === '' || (offText === undefined && e.file === undefined)) {
      warn(`"${key}" has an empty offset or file; ignored.`, key);
      continue;
    }
    if (offset === undefined) {
      warn(`"${key}".offset ${JSON.stringify(e.offset)} is not an offset such as "0x10000"; entry ignored.`, `${key}.offset`);
      continue;
    }
    if (typeof e.file !== 'string') {
      warn(`"${key}".file should be a path string, found ${JSON.stringify(e.file)}; entry ignored.`, `${key}.file`);
      continue;
    }
    const img: FlasherArgsImage = { name, offset, file: e.file.trim() };
    if (e.encrypted !== undefined) {
      const enc = asBool(e.encrypted);
      if (enc === undefined) warn(`"${key}".encrypted should be "true" or "false", found ${JSON.stringify(e.encrypted)}; treated as absent.`, `${key}.encrypted`);
      else img.encrypted = enc;
    }
    out.images.push(img);
  }

  const extra = obj.extra_esptool_args;
  if (extra !== undefined) {
    if (extra && typeof extra === 'object' && !Array.isArray(extra)) {
      const x = extra as Record<string, unknown>;
      for (const k of ['before', 'after', 'chip'] as const) {
        const v = x[k];
        if (typeof v === 'string' && v.trim() !== '') out[k] = k === 'chip' ? v.trim() : normaliseResetName(v);
        else if (v !== undefined) warn(`extra_esptool_args.${k} should be a string, found ${JSON.stringify(v)}; ignored.`, `extra_esptool_args.${k}`);
      }
      if (x.stub !== undefined) {
        const stub = asBool(x.stub);
        if (stub === undefined) warn(`extra_esptool_args.stub should be true or false, found ${JSON.stringify(x.stub)}; ignored.`, 'extra_esptool_args.stub');
        else out.stub = stub;
      }
    } else warn(`extra_esptool_args should be an object; ignored.`, 'extra_esptool_args');
  }
  return out;
}
