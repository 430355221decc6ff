/**
 * Flash All's state for the Device view: one entry per device, fed by the core's line events
 * (LineProgress, src/core/line/device_progress.ts), each device's plan percent (PlanProgress) and
 * its final DeviceRecord. The UI only keeps and translates these; no vscode here.
 */
import type { FlashRefusal, FlashResult } from '../core/flash/api';
import type { FlashEvent } from '../core/flash/events';
import { LineProgress, type DeviceProgress } from '../core/line/device_progress';
import type { DeviceRecord as LineRecord } from '../core/line/device_record';
import { PlanProgress } from './progress';

export interface LineDevice {
  port: string;
  /** The core's view of where the device stands (phase, status, chip). */
  progress: DeviceProgress;
  /** Of this device's whole plan, 0…100. */
  percent: number;
  /** The device's record once its job ended. */
  record?: LineRecord;
  /** The job's typed refusals (why nothing was written), when it was refused. */
  refusals?: FlashRefusal[];
  /** The device was not started: why (its port is busy with another job). */
  notStarted?: string;
}

export class LineRun {
  private readonly progress = new LineProgress();
  private readonly plans = new Map<string, PlanProgress>();
  private readonly records = new Map<string, LineRecord>();
  private readonly notStarted = new Map<string, string>();
  private readonly refusals = new Map<string, FlashRefusal[]>();
  finished = false;
  cancelled = false;
  seconds?: number;

  constructor(
    /** "Flash All", "Flash All (Encrypted)". */
    readonly operation: string,
    readonly ports: string[],
    totalBytes: number,
    /** Flash All (Encrypted): Retry Failed runs the same kind again. */
    readonly encrypted = false,
    private readonly changed: (urgent: boolean) => void = () => undefined,
    readonly startedAt = new Date(),
  ) {
    for (const p of ports) {
      this.progress.add(p);
      this.plans.set(p, new PlanProgress(totalBytes));
    }
  }

  /** One device's flash event. */
  event(port: string, e: FlashEvent): void {
    const shown = this.progress.update(port, e);
    const step = this.plans.get(port)?.update(e);
    if (shown || step) this.changed(e.kind !== 'progress');
  }

  /** A device's flash job returned (before its record): keeps its typed refusals. */
  result(port: string, r: FlashResult): void {
    if (r.refusals?.length) this.refusals.set(port, r.refusals);
  }

  /** A device's job ended. */
  record(rec: LineRecord): void {
    this.records.set(rec.port, rec);
    this.changed(true);
  }

  /** A device left out before the run (its port is busy). */
  refuseStart(port: string, why: string): void {
    this.notStarted.set(port, why);
    this.progress.note(port, why);
    this.changed(true);
  }

  finish(seconds: number, cancelled: boolean): void {
    this.finished = true;
    this.seconds = seconds;
    this.cancelled = cancelled;
    this.changed(true);
  }

  get devices(): LineDevice[] {
    return this.ports.map((port) => {
      const d: LineDevice = { port, progress: this.progress.get(port) ?? this.progress.add(port), percent: this.plans.get(port)?.percent ?? 0 };
      const rec = this.records.get(port);
      if (rec) d.record = rec;
      const why = this.notStarted.get(port);
      if (why) d.notStarted = why;
      const refusals = this.refusals.get(port);
      if (refusals) d.refusals = refusals;
      return d;
    });
  }

  /** The devices started, on average, 0…100 (a finished device counts 100). */
  get percent(): number {
    const started = this.devices.filter((d) => !d.notStarted);
    if (started.length === 0) return 100;
    return started.reduce((n, d) => n + (d.record ? 100 : d.percent), 0) / started.length;
  }

  /** The devices not flashed: failed, refused, stopped, cancelled or not started (Retry Failed runs these again). */
  get notFlashed(): string[] {
    return this.devices.filter((d) => d.notStarted || d.record?.result !== 'ok').map((d) => d.port);
  }

  /** Devices flashed, not flashed (failed, refused, not started), still running. */
  get counts(): { ok: number; notOk: number; running: number } {
    let ok = 0;
    let notOk = 0;
    let running = 0;
    for (const d of this.devices) {
      if (d.notStarted || (d.record && d.record.result !== 'ok')) notOk++;
      else if (d.record) ok++;
      else running++;
    }
    return { ok, notOk, running };
  }
}

/** The last Flash All run; the Device view listens. */
export class LineState {
  run?: LineRun;
  private readonly listeners = new Set<(urgent: boolean) => void>();

  start(operation: string, ports: string[], totalBytes: number, encrypted = false): LineRun {
    this.run = new LineRun(operation, ports, totalBytes, encrypted, (urgent) => this.fire(urgent));
    this.fire(true);
    return this.run;
  }

  /** `urgent`: a change to show at once (a phase, a result), not a progress tick. */
  onChange(listener: (urgent: boolean) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private fire(urgent: boolean): void {
    for (const l of this.listeners) l(urgent);
  }
}
