/**
 * One flash job's use of the device cache (device_cache.ts is the record and its store): read
 * this device's record, confirm a cached region with ONE SPI_FLASH_MD5 (sent early for the first
 * segment, while the host checks and prepares), compare a segment with the confirmed region
 * locally, and store the record as the job leaves the flash. The flash job only calls the
 * `JobCache` interface below.
 */
import type { FlashEvent } from './events';
import type { OpenSession } from './open_session';
import type { ChangedSectors } from './changed_sectors';
import {
  deviceKey,
  diffWithRegion,
  formatRecord,
  parseRecord,
  regionAt,
  regionOf,
  updatedRecord,
  type CachedRegion,
  type DeviceCacheStore,
  type DeviceIdentityKey,
  type DeviceRecord,
} from './device_cache';

const hex = (n: number) => `0x${n.toString(16)}`;

/** What of an open session the cache needs: the device's identity and one MD5 command. */
export type CacheSession = Pick<OpenSession, 'mac' | 'flashId'> & {
  chip: Pick<OpenSession['chip'], 'name'>;
  session: Pick<OpenSession['session'], 'flashMd5'>;
};

/** The segment as the cache compares it: where it goes and the bytes the flash must hold there. */
export interface CacheSegment {
  name: string;
  offset: number;
  expected?: Uint8Array;
  expectedMd5?: string;
}

/** The cache's answer for a segment: identical, or which sectors differ, and how it was known. */
export type CacheAnswer = ChangedSectors & { identical: boolean; how: string };

/** The job's view of the device cache for one device. */
export interface JobCache {
  /** Send the confirming MD5 of the cached region at `offset` now (the first segment's), if there is one. */
  startEarlyConfirm(offset: number): void;
  /**
   * Before any other command: the early MD5's reply must be in (one request at a time). Its result
   * stays for the segment that takes it; one no segment took is dropped.
   */
  settleEarly(): Promise<void>;
  /**
   * The cache's answer for one segment (with `expected` and `expectedMd5`), or undefined (no cached
   * region at its offset, or the flash refuted the cache: then the caller compares with the flash
   * as without a cache).
   */
  compare(p: CacheSegment): Promise<CacheAnswer | undefined>;
  /** The flash holds `bytes` at `offset`, verified by this job (written and verified, or found identical). */
  noteVerified(offset: number, bytes: Uint8Array): void;
  /** This job wrote [start, end) (erased sectors and all), verified or not. */
  noteTouched(start: number, end: number): void;
  /** Store the record as this job leaves the flash (once; never fails the job). */
  save(): Promise<void>;
}

/** Read this device's record (chip, MAC and flash ID known); an unreadable one is reported and ignored. */
export async function openJobCache(store: DeviceCacheStore | undefined, s: CacheSession, emit: (e: FlashEvent) => void): Promise<JobCache | undefined> {
  if (!store || !s.mac || s.flashId === undefined) return undefined;
  const device: DeviceIdentityKey = { chip: s.chip.name, mac: s.mac, flashId: s.flashId };
  const c = new DeviceJobCache(store, device, s, emit);
  let text: string | undefined;
  try {
    text = await store.read(c.key);
  } catch (e) {
    emit({ kind: 'cache', message: `The device cache ${store.where(c.key)} cannot be read (${(e as Error).message}): comparing with the flash instead.` });
    return c;
  }
  if (text === undefined) return c;
  c.text = text;
  const parsed = parseRecord(text, device);
  if ('problem' in parsed) {
    emit({ kind: 'cache', message: `The device cache ${store.where(c.key)} is unusable (${parsed.problem}): comparing with the flash instead; it is written afresh.` });
  } else {
    c.record = parsed.record;
  }
  return c;
}

/** The record read at the start, what the job verified and touched. */
class DeviceJobCache implements JobCache {
  readonly key: string;
  record: DeviceRecord | undefined;
  /** The stored text as read (not written again when the job leaves it unchanged). */
  text?: string;
  /** Regions the flash holds as verified by this job (written and verified, or found identical). */
  private readonly verified: CachedRegion[] = [];
  /** Ranges this job wrote (erased sectors and all), verified or not. */
  private readonly touched: { start: number; end: number }[] = [];
  private saved = false;
  /** The confirming MD5 sent before the segment loop (startEarlyConfirm), until a segment takes it. */
  private early?: { offset: number; md5: Promise<string>; settled: Promise<unknown> };

  constructor(
    private readonly store: DeviceCacheStore,
    private readonly device: DeviceIdentityKey,
    private readonly s: CacheSession,
    private readonly emit: (e: FlashEvent) => void,
  ) {
    this.key = deviceKey(device);
  }

  private confirmMd5(region: CachedRegion): Promise<string> {
    return this.s.session.flashMd5(region.offset, region.length, `confirming the device cache for the region at ${hex(region.offset)}`);
  }

  startEarlyConfirm(offset: number): void {
    const region = regionAt(this.record, offset);
    if (!region) return;
    const md5 = this.confirmMd5(region);
    // Failures surface where the segment awaits it; never as an unhandled rejection.
    this.early = { offset, md5, settled: md5.catch(() => undefined) };
  }

  async settleEarly(): Promise<void> {
    await this.early?.settled;
  }

  /** ONE SPI_FLASH_MD5 over the cached region confirms it; the sectors are then compared locally. */
  async compare(p: CacheSegment): Promise<CacheAnswer | undefined> {
    const region = regionAt(this.record, p.offset);
    if (!region) return undefined;
    const early = this.early?.offset === region.offset ? this.early : undefined;
    this.early = undefined;
    const have = early ? await early.md5 : await this.confirmMd5(region);
    if (have !== region.md5) {
      if (region.length === p.expected!.length && have === p.expectedMd5) {
        // Written since by something else, with exactly these bytes: nothing to do.
        return { identical: true, ranges: [], changed: 0, total: 0, md5Queries: 1, wholeSegment: false, how: 'the device cache was out of date, but one MD5 of the flash matched' };
      }
      this.record = { ...this.record!, regions: this.record!.regions.filter((r) => r !== region) };
      this.emit({
        kind: 'cache',
        message: `The flash at ${hex(region.offset)}–${hex(region.offset + region.length)} no longer holds what ESP Flasher last wrote there (erased or written since, by another tool or command): comparing segment "${p.name}" with the flash.`,
      });
      return undefined;
    }
    return { ...diffWithRegion(region, p.offset, p.expected!), how: 'device cache confirmed by one MD5 of the flash' };
  }

  noteVerified(offset: number, bytes: Uint8Array): void {
    this.verified.push(regionOf(offset, bytes));
  }

  noteTouched(start: number, end: number): void {
    this.touched.push({ start, end });
  }

  async save(): Promise<void> {
    if (this.saved) return;
    this.saved = true;
    const text = formatRecord(updatedRecord(this.record, this.device, this.verified, this.touched));
    if (text === this.text) return;
    try {
      await this.store.write(this.key, text);
    } catch (e) {
      this.emit({ kind: 'warning', message: `The device cache ${this.store.where(this.key)} could not be written: ${(e as Error).message}` });
    }
  }
}
