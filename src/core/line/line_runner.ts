/**
 * The production line: one flash job per port, all at once, each with its own session, baud,
 * abort controller and deadline. A device that fails, is refused or hangs ends its own job
 * only; the run's signal (Ctrl-C) stops every job, and each job releases its port.
 */
import type { FlashOptions, FlashResult, WriteSegment } from '../flash/api';
import type { FlashEvent } from '../flash/events';
import { flashSegments } from '../flash/flash_job';
import { deviceRefusals, type DeviceExpectations } from './device_checks';
import { deviceRecord, startFailureRecord, type DeviceRecord } from './device_record';
import type { LinePort } from './port_selection';

/** Default: a device with no flash event for this long is stopped (the others go on). */
export const DEFAULT_STALL_MS = 60_000;

/** What every device on the line gets. */
export interface LineJob {
  segments: WriteSegment[];
  /** Flash options shared by all devices (port, signal, onEvent and checkDevice are set per device). */
  options: Omit<FlashOptions, 'port' | 'signal' | 'onEvent' | 'checkDevice'>;
  expect: DeviceExpectations;
}

export interface LineRunOptions {
  /** Stops every device (Ctrl-C). */
  signal?: AbortSignal;
  /** Every device's events, tagged with its port. */
  onEvent?: (port: LinePort, e: FlashEvent) => void;
  /** Each device's record as soon as it is done (the report appends it then). */
  onRecord?: (rec: DeviceRecord) => void | Promise<void>;
  /** No flash event from a device for this long ⇒ that device is stopped (default 60 s). */
  stallMs?: number;
  /** The flash job (tests may wrap it); flashSegments by default. */
  flash?: (segments: WriteSegment[], opts: FlashOptions) => Promise<FlashResult>;
}

/** Flash one device of the line; never throws. */
export async function flashOneDevice(where: LinePort, job: LineJob, opts: LineRunOptions = {}): Promise<DeviceRecord> {
  const flash = opts.flash ?? flashSegments;
  const stallMs = opts.stallMs ?? DEFAULT_STALL_MS;
  const own = new AbortController();
  const onRunAbort = (): void => own.abort(opts.signal?.reason);
  if (opts.signal?.aborted) own.abort(opts.signal.reason);
  else opts.signal?.addEventListener('abort', onRunAbort, { once: true });
  let stalledText: string | undefined;
  let failed: Extract<FlashEvent, { kind: 'failed' }> | undefined;
  let watchdog: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => {
      stalledText = `Stopped: ${where.port} showed no progress for ${Math.round(stallMs / 1000)} s (device hanging or unplugged?).`;
      own.abort(new Error(stalledText));
    }, stallMs);
  };
  let record: DeviceRecord;
  try {
    arm();
    const options: FlashOptions = {
      ...job.options,
      port: where.port,
      signal: own.signal,
      checkDevice: (device) => deviceRefusals(device, job.expect, job.segments),
      onEvent: (e) => {
        arm();
        if (e.kind === 'failed') failed = e;
        opts.onEvent?.(where, e);
      },
    };
    if (where.baud !== undefined) options.baud = where.baud;
    const result = await flash(job.segments, options);
    record = deviceRecord(where, result, failed, stalledText ? { stalledText } : {});
  } catch (e) {
    record = startFailureRecord(where, (e as Error)?.message ?? String(e));
  } finally {
    clearTimeout(watchdog);
    opts.signal?.removeEventListener('abort', onRunAbort);
  }
  try {
    await opts.onRecord?.(record);
  } catch {
    // the caller reports its own errors (e.g. the report file); the device's record stands
  }
  return record;
}

/** Flash every port at once; resolves with one record per port, in the ports' order. */
export async function runLine(ports: LinePort[], job: LineJob, opts: LineRunOptions = {}): Promise<DeviceRecord[]> {
  return Promise.all(ports.map((p) => flashOneDevice(p, job, opts)));
}

/** Exit status of a line run: 0 only when every device succeeded; 130 when stopped by Ctrl-C. */
export function lineExitCode(records: DeviceRecord[], interrupted: boolean): number {
  if (interrupted) return 130;
  return records.length > 0 && records.every((r) => r.result === 'ok') ? 0 : 1;
}
