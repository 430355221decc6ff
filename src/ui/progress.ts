/**
 * One source of truth for "how far along is the whole plan": turns flash events into
 * additive percent increments (they sum to exactly 100 when the job finishes) and a message
 * such as "app @0x10000 — 412/1024 KiB, 612 kbit/s". No vscode here: the notification, the
 * status bar and the test API all read this.
 */
import type { FlashEvent } from '../core/flash/events';
import { hexShort } from './output_log';

export interface ProgressStep {
  /** Percent to add to what was reported before (never negative). */
  increment: number;
  message?: string;
}

export class PlanProgress {
  private totalBytes: number;
  private doneBytes = 0;
  private readonly sizes = new Map<number, number>();
  private readonly offsets = new Map<number, number>();
  private readonly counted = new Set<number>();
  private reported = 0;
  private finished = false;
  /** Name of the segment being written, its speed and the latest message. */
  segment?: string;
  kbitPerSecond?: number;
  message?: string;

  /** `totalBytesHint`: the bytes the caller asked to write, used until a 'plan' event says otherwise. */
  constructor(totalBytesHint = 0) {
    this.totalBytes = totalBytesHint;
  }

  /** Percent of the whole plan reported so far (0…100). */
  get percent(): number {
    return this.reported;
  }

  update(e: FlashEvent): ProgressStep | undefined {
    if (this.finished) return undefined;
    switch (e.kind) {
      case 'plan':
        if (e.totalBytes > 0) this.totalBytes = e.totalBytes;
        return undefined;
      case 'segment-start':
        this.sizes.set(e.index, e.size);
        this.offsets.set(e.index, e.offset);
        this.segment = e.name;
        // A new segment has no speed yet: never show the previous segment's as this one's first.
        this.kbitPerSecond = undefined;
        this.message = `${e.name} @${hexShort(e.offset)} — starting`;
        return this.advance(this.doneBytes, this.message);
      case 'progress': {
        this.segment = e.name;
        this.kbitPerSecond = e.kbitPerSecond;
        const at = this.offsets.has(e.index) ? ` @${hexShort(this.offsets.get(e.index)!)}` : '';
        this.message = `${e.name}${at} — ${Math.floor(e.written / 1024)}/${Math.ceil(e.total / 1024)} KiB, ${Math.round(e.kbitPerSecond)} kbit/s`;
        return this.advance(this.doneBytes + Math.min(e.written, e.total), this.message);
      }
      case 'segment-done':
      case 'skipped': {
        if (!this.counted.has(e.index)) {
          this.counted.add(e.index);
          this.doneBytes += this.sizes.get(e.index) ?? ('bytes' in e ? e.bytes : 0);
        }
        this.message = e.kind === 'skipped' ? `${e.name} — unchanged, skipped` : `${e.name} — written`;
        return this.advance(this.doneBytes, this.message);
      }
      case 'done': {
        this.finished = true;
        const increment = 100 - this.reported;
        this.reported = 100;
        this.message = 'done';
        return { increment, message: 'done' };
      }
      case 'failed':
        this.finished = true;
        this.message = `failed: ${e.message}`;
        return { increment: 0, message: this.message };
      default:
        return undefined;
    }
  }

  private advance(bytes: number, message: string): ProgressStep {
    if (this.totalBytes <= 0) return { increment: 0, message };
    // Hold back the last percent for 'done', so the increments sum to exactly 100 then.
    const target = Math.min(99.9, (bytes / this.totalBytes) * 100);
    const increment = Math.max(0, target - this.reported);
    this.reported += increment;
    return { increment, message };
  }
}

/**
 * Batches progress steps so the notification and status bar update at most every `intervalMs`
 * (a flash emits one event per block); increments are summed, never lost, and `flush()` sends
 * what is pending (call it when the job ends).
 */
export class StepBatcher {
  private pending = 0;
  private message?: string;
  private last = -Infinity;

  constructor(
    private readonly send: (step: ProgressStep) => void,
    private readonly intervalMs = 100,
    private readonly now: () => number = Date.now,
  ) {}

  add(step: ProgressStep, urgent = false): void {
    this.pending += step.increment;
    if (step.message !== undefined) this.message = step.message;
    if (urgent || this.now() - this.last >= this.intervalMs) this.flush();
  }

  flush(): void {
    if (this.pending === 0 && this.message === undefined) return;
    this.last = this.now();
    const step: ProgressStep = { increment: this.pending };
    if (this.message !== undefined) step.message = this.message;
    this.pending = 0;
    this.message = undefined;
    this.send(step);
  }
}
