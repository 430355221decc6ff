/**
 * The Device view's rows for a Flash All run: one row per device (percent and phase while it
 * runs, ok / failed and why, seconds at the end) with its record's details underneath, and the
 * line above them. Translates LineRun (the core's progress and records); no vscode here.
 */
import type { FlashRefusal } from '../core/flash/api';
import type { DeviceRecord as LineRecord } from '../core/line/device_record';
import type { LineDevice, LineRun } from './line_state';
import { formatSize } from './output_log';

/** waiting/running: the job is on; the rest are how it ended (busy: not started). */
export type LineRowState = 'waiting' | 'running' | 'ok' | 'refused' | 'failed' | 'stalled' | 'cancelled' | 'busy';

export interface LineDetail {
  label: string;
  value: string;
}

export interface LineRow {
  port: string;
  state: LineRowState;
  /** The port. */
  label: string;
  /** "42% · writing app", "ok · 3.1 s · 24:0a:…", "refused · No key for device …". */
  description: string;
  tooltip: string;
  /** A codicon name. */
  icon: string;
  /** Of the device's whole plan, 0…100. */
  percent: number;
  /** The core's status words while it runs ("writing app", "connecting (attempt 1)"). */
  status: string;
  seconds?: number;
  /** Why it was not flashed (the record's error, or why it did not start). */
  reason?: string;
  /** Refused, and every refusal may be overridden (Flash Again, Overriding the Checks…). */
  overridable?: boolean;
  details: LineDetail[];
}

const ICONS: Record<LineRowState, string> = {
  waiting: 'clock',
  running: 'sync~spin',
  ok: 'pass',
  refused: 'circle-slash',
  failed: 'error',
  stalled: 'watch',
  cancelled: 'debug-stop',
  busy: 'lock',
};

/** The first sentence of a reason, cut to fit a row. */
export function shortReason(text: string, max = 110): string {
  const first = /^(.+?[.!?])(\s|$)/.exec(text)?.[1] ?? text;
  return first.length > max ? `${first.slice(0, max - 1)}…` : first;
}

function details(rec: LineRecord, refusals: FlashRefusal[] | undefined): LineDetail[] {
  const out: LineDetail[] = [];
  const add = (label: string, value: string | undefined): void => {
    if (value) out.push({ label, value });
  };
  add('Result', rec.outcome === 'ok' ? `ok in ${rec.seconds.toFixed(1)} s` : `${rec.outcome} after ${rec.seconds.toFixed(1)} s`);
  if (refusals?.length) {
    // Each refusal once, with what to do (as the single flash's refusal dialog lists them).
    for (const r of refusals) {
      add('Refused', r.reason);
      add('What to do', r.advice);
    }
  } else add('Error', rec.error);
  if (rec.failedSegment) add('Where', `${rec.failedSegment}${rec.failedOffset ? ` at ${rec.failedOffset}` : ''}`);
  add('Chip', rec.chipDescription ?? rec.chip);
  add('MAC', rec.mac);
  add('Flash size', rec.flashSize !== undefined ? formatSize(rec.flashSize) : undefined);
  add('Security', rec.security);
  add('Segments', `${rec.segmentsWritten} written, ${rec.segmentsSkipped} skipped`);
  add('Bytes sent', String(rec.bytesSent));
  add('USB serial', rec.usbSerial);
  add('USB location', rec.usbLocation);
  return out;
}

export function lineRow(d: LineDevice): LineRow {
  const p = d.progress;
  const base = { port: d.port, label: d.port, percent: Math.floor(d.percent), status: p.status };
  if (d.notStarted) {
    return { ...base, state: 'busy', description: `not started · ${shortReason(d.notStarted)}`, tooltip: d.notStarted, icon: ICONS.busy, reason: d.notStarted, details: [] };
  }
  const rec = d.record;
  if (rec) {
    const state: LineRowState = rec.outcome;
    // A refused device: the refusals' own reasons (typed, from the job), not the record's error line.
    const refused = d.refusals?.length ? d.refusals.map((r) => r.reason).join(' ') : undefined;
    const reason = rec.result === 'ok' ? undefined : (refused ?? rec.error ?? rec.outcome);
    const description =
      rec.result === 'ok'
        ? `ok · ${rec.seconds.toFixed(1)} s${rec.mac ? ` · ${rec.mac}` : ''}`
        : `${rec.outcome === 'failed' ? 'FAILED' : rec.outcome} · ${shortReason(reason ?? '')}${rec.seconds ? ` · ${rec.seconds.toFixed(1)} s` : ''}`;
    const row: LineRow = {
      ...base,
      percent: rec.result === 'ok' ? 100 : base.percent,
      state,
      description,
      tooltip: `${d.port}: ${rec.result === 'ok' ? `flashed in ${rec.seconds.toFixed(1)} s` : `${rec.outcome}: ${reason}`}`,
      icon: ICONS[state],
      seconds: rec.seconds,
      details: details(rec, d.refusals),
    };
    if (reason) row.reason = reason;
    if (rec.outcome === 'refused' && d.refusals?.length && d.refusals.every((r) => r.overridable)) row.overridable = true;
    return row;
  }
  const state: LineRowState = p.phase === 'waiting' ? 'waiting' : 'running';
  const description = p.phase === 'writing' || d.percent > 0 ? `${Math.floor(d.percent)}% · ${p.status}` : p.status;
  return { ...base, state, description, tooltip: `${d.port}${p.chip ? ` (${p.chip})` : ''}: ${description}`, icon: ICONS[state], details: [] };
}

export function lineRows(run: LineRun): LineRow[] {
  return run.devices.map(lineRow);
}

/** The line above the rows: what runs, how far, how it ended. */
export function lineHeadline(run: LineRun): string {
  const n = run.ports.length;
  const { ok, notOk, running } = run.counts;
  const devices = `${n} device${n === 1 ? '' : 's'}`;
  if (!run.finished) return `${run.operation} on ${devices}: ${Math.floor(run.percent)}%, ${ok + notOk} of ${n} done.`;
  const time = run.seconds !== undefined ? ` in ${run.seconds.toFixed(1)} s` : '';
  const cancelled = run.cancelled ? ' (cancelled)' : '';
  return `${run.operation}${cancelled}: ${ok} of ${devices} flashed${notOk ? `, ${notOk} not` : ''}${running ? `, ${running} unfinished` : ''}${time}.`;
}
