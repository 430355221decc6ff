/**
 * Fixture mode (--watch): poll the port list and flash each newly attached device once,
 * identified by its USB serial number (by its port when it has none), until the signal stops
 * the watch. Jobs run in parallel as devices arrive. A device flashed successfully is not
 * flashed again in this session, even when it is plugged in again; one that failed is flashed
 * again when it is unplugged and plugged back in (the operator's retry), never while it stays.
 */
import type { ListedPort } from '../transport/usb_bridges';
import type { DeviceRecord } from './device_record';
import { flashOneDevice, type LineJob, type LineRunOptions } from './line_runner';
import { matchPattern, type LinePort, type PortLister } from './port_selection';
import { deviceIdentity } from './report_file';

export const DEFAULT_WATCH_POLL_MS = 1000;

export interface WatchOptions extends LineRunOptions {
  /** Which listed ports belong to the fixture: "auto" or globs (and exact paths). */
  patterns: string[];
  list: PortLister;
  pollMs?: number;
  /** A new device was seen and its job starts. */
  onAttach?: (port: LinePort) => void;
  /** Listing failed (said once per distinct message); the watch goes on. */
  onListError?: (message: string) => void;
}

function linePort(p: ListedPort): LinePort {
  const lp: LinePort = { port: p.path };
  if (p.serialNumber) lp.usbSerial = p.serialNumber;
  const location = p.locationId || p.pnpId;
  if (location) lp.usbLocation = location;
  return lp;
}

/** Runs until `opts.signal` aborts; resolves with every record, after every job has ended. */
export async function watchLine(job: LineJob, opts: WatchOptions): Promise<DeviceRecord[]> {
  /** Devices handled this session: running, ok, or failed (forgotten once unplugged). */
  const seen = new Map<string, 'running' | 'ok' | 'failed'>();
  const running = new Set<Promise<DeviceRecord>>();
  const records: DeviceRecord[] = [];
  const pollMs = opts.pollMs ?? DEFAULT_WATCH_POLL_MS;
  let lastError = '';
  while (!opts.signal?.aborted) {
    let listed: ListedPort[] = [];
    try {
      listed = await opts.list();
      lastError = '';
    } catch (e) {
      const m = (e as Error).message;
      if (m !== lastError) opts.onListError?.(m);
      lastError = m;
    }
    const mine = new Map<string, ListedPort>();
    for (const pattern of opts.patterns) for (const p of matchPattern(pattern, listed)) mine.set(p.path, p);
    const present = [...mine.values()].sort((a, b) => a.path.localeCompare(b.path, undefined, { numeric: true })).map(linePort);
    const presentIds = new Set(present.map(deviceIdentity));
    for (const [id, state] of seen) if (state === 'failed' && !presentIds.has(id)) seen.delete(id);
    for (const where of present) {
      const id = deviceIdentity(where);
      if (seen.has(id) || opts.signal?.aborted) continue;
      seen.set(id, 'running');
      opts.onAttach?.(where);
      const jobDone = flashOneDevice(where, job, opts).then((rec) => {
        records.push(rec);
        seen.set(id, rec.result === 'ok' ? 'ok' : 'failed');
        return rec;
      });
      running.add(jobDone);
      void jobDone.finally(() => running.delete(jobDone));
    }
    await sleep(pollMs, opts.signal);
  }
  await Promise.all([...running]);
  return records;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
