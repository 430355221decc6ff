/**
 * The device cache: per device (chip + MAC + flash ID) what ESP Flasher last wrote and verified
 * (or found already there), per region: offset, length, the MD5 of the whole region and of each
 * 4 KiB sector piece — of the bytes as they sit on flash (after header patch and encryption).
 *
 * It is never trusted on its own: a re-flash asks the chip for ONE MD5 of the cached region and
 * only when it equals the cached one compares the new bytes with the cached sector hashes
 * locally (no further round trips). Any disagreement, a missing or unreadable record, and the
 * job compares with the flash as before (changed_sectors.ts).
 *
 * Where records live is the caller's business (a `DeviceCacheStore`): the CLI keeps files in
 * $XDG_CACHE_HOME/esp-flasher (fileDeviceCache), the editor in its global storage.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { ChipName } from '../chips';
import { FLASH_SECTOR } from '../protocol/opcodes';
import { piecesOf, type ChangedSectors } from './changed_sectors';

/** Storage for the records, one text per device key. */
export interface DeviceCacheStore {
  /** The stored text, or undefined when there is none. Throws when it cannot be read. */
  read(key: string): Promise<string | undefined>;
  /** Store the text (replacing any); a reader never sees a half-written text. */
  write(key: string, text: string): Promise<void>;
  /** Where the record for `key` lives, for messages. */
  where(key: string): string;
}

export interface DeviceIdentityKey {
  chip: ChipName;
  mac: string;
  flashId: number;
}

export interface CachedRegion {
  offset: number;
  length: number;
  /** MD5 (hex) of the whole region. */
  md5: string;
  /** MD5 (hex) of each piece of the region cut at 4 KiB flash sectors, in order. */
  sectors: string[];
}

export interface DeviceRecord {
  device: DeviceIdentityKey;
  regions: CachedRegion[];
}

const FORMAT = 'esp-flasher-device-cache';
const VERSION = 1;
const MD5_HEX = /^[0-9a-f]{32}$/;

const md5hex = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

/** "esp32c6-aabbccddeeff-ef4016": the record's name (file name safe). */
export function deviceKey(d: DeviceIdentityKey): string {
  return `${d.chip}-${d.mac.replace(/[^0-9a-fA-F]/g, '').toLowerCase()}-${d.flashId.toString(16).padStart(6, '0')}`;
}

/** The region record for `bytes` as they sit on flash at `offset`. */
export function regionOf(offset: number, bytes: Uint8Array): CachedRegion {
  const sectors = piecesOf(offset, offset + bytes.length, FLASH_SECTOR).map((p) => md5hex(bytes.subarray(p.start - offset, p.end - offset)));
  return { offset, length: bytes.length, md5: md5hex(bytes), sectors };
}

/** The record's text (JSON). */
export function formatRecord(r: DeviceRecord): string {
  const regions = [...r.regions].sort((a, b) => a.offset - b.offset);
  return JSON.stringify({ format: FORMAT, version: VERSION, device: { ...r.device, flashId: r.device.flashId }, regions }) + '\n';
}

/** Parse and check a stored record for this device; a reason when it cannot be used. */
export function parseRecord(text: string, device: DeviceIdentityKey): { record: DeviceRecord } | { problem: string } {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    return { problem: `not JSON (${(e as Error).message})` };
  }
  const o = j as { format?: unknown; version?: unknown; device?: Partial<DeviceIdentityKey>; regions?: unknown };
  if (!o || typeof o !== 'object' || o.format !== FORMAT) return { problem: 'not a device cache record' };
  if (o.version !== VERSION) return { problem: `record version ${String(o.version)}, this ESP Flasher reads ${VERSION}` };
  if (!o.device || o.device.chip !== device.chip || o.device.mac !== device.mac || o.device.flashId !== device.flashId) {
    return { problem: 'it names another device' };
  }
  if (!Array.isArray(o.regions)) return { problem: 'no region list' };
  const regions: CachedRegion[] = [];
  for (const x of o.regions as Partial<CachedRegion>[]) {
    const ok =
      x &&
      Number.isSafeInteger(x.offset) &&
      Number.isSafeInteger(x.length) &&
      x.offset! >= 0 &&
      x.length! > 0 &&
      typeof x.md5 === 'string' &&
      MD5_HEX.test(x.md5) &&
      Array.isArray(x.sectors) &&
      x.sectors.length === piecesOf(x.offset!, x.offset! + x.length!, FLASH_SECTOR).length &&
      x.sectors.every((s) => typeof s === 'string' && MD5_HEX.test(s));
    if (!ok) return { problem: `a malformed region (${JSON.stringify(x).slice(0, 80)})` };
    regions.push({ offset: x.offset!, length: x.length!, md5: x.md5!, sectors: [...x.sectors!] });
  }
  for (let i = 0; i < regions.length; i++) {
    for (let k = i + 1; k < regions.length; k++) {
      if (overlaps(regions[i].offset, regions[i].offset + regions[i].length, regions[k].offset, regions[k].offset + regions[k].length)) {
        return { problem: 'overlapping regions' };
      }
    }
  }
  return { record: { device, regions } };
}

function overlaps(a0: number, a1: number, b0: number, b1: number): boolean {
  return a0 < b1 && b0 < a1;
}

/** The cached region a segment at `offset` can be compared with (same start), if any. */
export function regionAt(record: DeviceRecord | undefined, offset: number): CachedRegion | undefined {
  return record?.regions.find((r) => r.offset === offset);
}

/**
 * Once the chip confirmed `region` (its MD5 of the region equals the cached one): which 4 KiB
 * sectors of `expected` (for [offset, offset + expected.length)) differ from the flash, found
 * locally. A piece the cache does not know exactly (beyond the cached region, or cut
 * differently at the end) counts as changed: it is written.
 */
export function diffWithRegion(region: CachedRegion, offset: number, expected: Uint8Array): ChangedSectors & { identical: boolean } {
  const end = offset + expected.length;
  const pieces = piecesOf(offset, end, FLASH_SECTOR);
  const cached = new Map(piecesOf(region.offset, region.offset + region.length, FLASH_SECTOR).map((p, i) => [`${p.start}-${p.end}`, region.sectors[i]]));
  const changed = pieces.filter((p) => cached.get(`${p.start}-${p.end}`) !== md5hex(expected.subarray(p.start - offset, p.end - offset)));
  const ranges: { start: number; end: number }[] = [];
  for (const p of changed) {
    const last = ranges[ranges.length - 1];
    if (last && last.end === p.start) last.end = p.end;
    else ranges.push({ start: p.start, end: p.end });
  }
  return { identical: changed.length === 0, ranges, changed: changed.length, total: pieces.length, md5Queries: 1, wholeSegment: false };
}

/**
 * The record after a job: regions the job verified (written or found on flash) replace what
 * they overlap; every range the job erased or wrote without verifying (whole sectors) drops the
 * regions it touches.
 */
export function updatedRecord(before: DeviceRecord | undefined, device: DeviceIdentityKey, verified: CachedRegion[], touched: { start: number; end: number }[]): DeviceRecord {
  const sectorRange = (start: number, end: number) => ({ start: Math.floor(start / FLASH_SECTOR) * FLASH_SECTOR, end: Math.ceil(end / FLASH_SECTOR) * FLASH_SECTOR });
  const gone = [...touched.map((t) => sectorRange(t.start, t.end)), ...verified.map((v) => sectorRange(v.offset, v.offset + v.length))];
  const kept = (before?.regions ?? []).filter((r) => !gone.some((g) => overlaps(r.offset, r.offset + r.length, g.start, g.end)));
  return { device, regions: [...kept, ...verified].sort((a, b) => a.offset - b.offset) };
}

/** Records as files `<dir>/<key>.json` (written to a temporary file, then renamed). */
export function fileDeviceCache(dir: string): DeviceCacheStore {
  const file = (key: string) => path.join(dir, `${key}.json`);
  return {
    where: file,
    read: async (key) => {
      try {
        return await fsp.readFile(file(key), 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      }
    },
    write: async (key, text) => {
      await fsp.mkdir(dir, { recursive: true });
      const tmp = `${file(key)}.${process.pid}.${Date.now()}.tmp`;
      try {
        await fsp.writeFile(tmp, text, { flag: 'wx' });
        await fsp.rename(tmp, file(key));
      } catch (e) {
        await fsp.rm(tmp, { force: true }).catch(() => undefined);
        throw e;
      }
    },
  };
}

/** The CLI's cache folder: $XDG_CACHE_HOME/esp-flasher, else ~/.cache/esp-flasher. */
export function defaultCacheDir(env: NodeJS.ProcessEnv, home: string): string {
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(home, '.cache');
  return path.join(base, 'esp-flasher');
}
