/**
 * Where each device of a line run stands, from its flash events: the one model the CLI's live
 * lines render (and a Device view row per device can). No rendering here.
 */
import type { FlashEvent } from '../flash/events';

export type DevicePhase = 'waiting' | 'connecting' | 'preparing' | 'writing' | 'done' | 'failed';

export interface DeviceProgress {
  port: string;
  chip?: string;
  phase: DevicePhase;
  /** What the device is doing now, in a few words ("writing app", "FAILED at app: …"). */
  status: string;
  /** Of the current segment, 0…1, once writing started. */
  fraction?: number;
  kbitPerSecond?: number;
  /** The job ended (done or failed). */
  finished: boolean;
}

export class LineProgress {
  private readonly devices = new Map<string, DeviceProgress>();

  /** Every device, in the order first seen. */
  get all(): DeviceProgress[] {
    return [...this.devices.values()];
  }

  get(port: string): DeviceProgress | undefined {
    return this.devices.get(port);
  }

  add(port: string): DeviceProgress {
    let d = this.devices.get(port);
    if (!d) {
      d = { port, phase: 'waiting', status: 'waiting', finished: false };
      this.devices.set(port, d);
    }
    return d;
  }

  /** A free-text status (attached, report trouble). */
  note(port: string, status: string): void {
    this.add(port).status = status;
  }

  /** Apply one event; false when it changes nothing shown (warnings, plan, reset). */
  update(port: string, e: FlashEvent): boolean {
    const d = this.add(port);
    switch (e.kind) {
      case 'connecting':
        d.phase = 'connecting';
        d.status = `connecting (attempt ${e.attempt})`;
        return true;
      case 'connected':
        d.status = 'connected';
        return true;
      case 'chip':
        d.phase = 'preparing';
        d.chip = e.chip;
        d.status = 'chip detected';
        return true;
      case 'stub':
        d.status = e.running ? 'stub running' : 'ROM loader';
        return true;
      case 'baud':
        d.status = `${e.baud} baud`;
        return true;
      case 'segment-start':
        d.phase = 'writing';
        d.status = `writing ${e.name}`;
        d.fraction = 0;
        return true;
      case 'progress':
        d.phase = 'writing';
        d.status = `writing ${e.name}`;
        d.fraction = e.total > 0 ? e.written / e.total : 1;
        d.kbitPerSecond = e.kbitPerSecond;
        return true;
      case 'verified':
        d.status = `verified ${e.name}`;
        return true;
      case 'skipped':
        d.status = `skipped ${e.name} (unchanged)`;
        return true;
      case 'done':
        d.phase = 'done';
        d.status = `done in ${e.seconds.toFixed(1)} s`;
        d.fraction = 1;
        d.finished = true;
        return true;
      case 'failed':
        d.phase = 'failed';
        d.status = `FAILED${e.segment ? ` at ${e.segment}` : ''}: ${e.message}`;
        d.finished = true;
        return true;
      default:
        return false;
    }
  }
}
