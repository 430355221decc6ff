/**
 * Renders FlashEvents as esptool-like text lines:
 *
 *   Writing at 0x00010000 [=====     ] 45.2%   612 kbit/s
 *   Wrote 169232 bytes (89490 compressed) at 0x00010000 in 2.6 seconds (513 kbit/s)
 *   Hash of data verified.
 *
 * On a terminal the progress line is redrawn in place; otherwise a line is printed at each
 * 10 % step so logs stay short.
 */
import type { FlashEvent } from '../core/flash/events';

export interface ProgressPrinterOptions {
  /** Redraw one progress line in place (stdout is a terminal). */
  tty: boolean;
  /** Raw writer used for in-place redraws on a terminal (no newline added). */
  rawWrite?: (text: string) => void;
  /** Width of the bar in characters (default 30). */
  barWidth?: number;
  /** First word of progress lines (default "Writing"; "Reading" for read). */
  verb?: string;
  /** Offset progress counts from when no segment-start preceded it (reads). */
  baseOffset?: number;
  /** Offsets of the job's segments by index (skipped segments get no segment-start). */
  offsets?: number[];
}

/** Why a segment was skipped, from the event's fields (esptool's wording when the flash already holds it). */
export function skipReason(e: { reason: string; md5?: string; how?: string }): string {
  return e.md5 ? `already on flash, MD5 ${e.md5}${e.how ? `; ${e.how}` : ''}` : e.reason;
}

export function hex8(n: number): string {
  return '0x' + (n >>> 0).toString(16).padStart(8, '0');
}

/** Whether a segment-start method text describes a compressed transfer. */
export function isCompressedMethod(method: string): boolean {
  return /compress/i.test(method) && !/uncompress|not compress|no compress/i.test(method);
}

export function bar(fraction: number, width: number): string {
  const f = Math.min(1, Math.max(0, fraction));
  const full = Math.round(f * width);
  return '[' + '='.repeat(full) + ' '.repeat(width - full) + ']';
}

function seconds(s: number): string {
  return s.toFixed(1);
}

function kbit(n: number): string {
  return Math.round(n).toString();
}

/** The progress line for one progress event. */
export function progressLine(offset: number, written: number, total: number, kbitPerSecond: number, barWidth = 30, verb = 'Writing'): string {
  const fraction = total > 0 ? written / total : 1;
  const pct = (fraction * 100).toFixed(1).padStart(5);
  return `${verb} at ${hex8(offset + written)} ${bar(fraction, barWidth)} ${pct}% ${kbit(kbitPerSecond).padStart(5)} kbit/s`;
}

export class ProgressPrinter {
  private readonly starts = new Map<number, { offset: number; size: number; name: string; compressed: boolean }>();
  /** Segments verified before their summary line (printed after it, esptool's order). */
  private readonly verifiedEarly = new Map<number, string>();
  private readonly done = new Set<number>();
  /** Highest 10 % step printed per segment (non-TTY). */
  private readonly steps = new Map<number, number>();
  /** A redrawn line is on screen and needs a newline before anything else is printed. */
  private lineOpen = false;
  private readonly barWidth: number;

  constructor(
    private readonly out: (line: string) => void,
    private readonly options: ProgressPrinterOptions = { tty: false },
  ) {
    this.barWidth = options.barWidth ?? 30;
  }

  /** Bind as a FlashEventListener: `onEvent: printer.listener`. */
  readonly listener = (event: FlashEvent): void => this.handle(event);

  private line(text: string): void {
    this.closeLine();
    this.out(text);
  }

  private closeLine(): void {
    if (this.lineOpen) {
      this.options.rawWrite?.('\n');
      this.lineOpen = false;
    }
  }

  private redraw(text: string): void {
    if (this.options.tty && this.options.rawWrite) {
      this.options.rawWrite('\r' + text + '\x1b[K');
      this.lineOpen = true;
    } else {
      this.out(text);
    }
  }

  handle(e: FlashEvent): void {
    switch (e.kind) {
      case 'connecting':
        this.line(`Connecting to ${e.port} (attempt ${e.attempt}, ${e.strategy})...`);
        break;
      case 'connected':
        this.line(`Connected to ${e.port}.`);
        break;
      case 'chip':
        this.line(`Chip is ${e.description}`);
        break;
      case 'stub':
        this.line(e.running ? `Flasher stub running${e.detail ? `: ${e.detail}` : ''}.` : `Using ${e.detail || 'the ROM loader'}.`);
        break;
      case 'baud':
        this.line(`Changed baud rate to ${e.baud}.`);
        break;
      case 'plan':
        this.line(`Writing ${e.segments} segment${e.segments === 1 ? '' : 's'}, ${e.totalBytes} bytes in all.`);
        break;
      case 'segment-start':
        this.starts.set(e.index, { offset: e.offset, size: e.size, name: e.name, compressed: isCompressedMethod(e.method) });
        this.steps.set(e.index, 0);
        this.line(`${e.name}: ${e.size} bytes at ${hex8(e.offset)}${e.method ? ` (${e.method})` : ''}`);
        break;
      case 'progress': {
        const start = this.starts.get(e.index);
        const offset = start?.offset ?? this.options.baseOffset ?? 0;
        const text = progressLine(offset, e.written, e.total, e.kbitPerSecond, this.barWidth, this.options.verb);
        if (this.options.tty && this.options.rawWrite) {
          this.redraw(text);
          break;
        }
        const step = e.total > 0 ? Math.floor((e.written / e.total) * 10) : 10;
        const last = this.steps.get(e.index) ?? 0;
        if (step > last) {
          this.steps.set(e.index, step);
          this.out(text);
        }
        break;
      }
      case 'segment-done': {
        const start = this.starts.get(e.index);
        const at = start ? ` at ${hex8(start.offset)}` : '';
        // "compressed" only when the stream is smaller; more bytes sent than written is sector padding (or a retry), not compression.
        const compressed =
          !start?.compressed || e.sentBytes <= 0 ? '' : e.sentBytes < e.bytes ? ` (${e.sentBytes} compressed)` : ` (${e.sentBytes} bytes sent, with sector padding and retries)`;
        const detail = e.detail ? `; ${e.detail}` : '';
        this.line(`Wrote ${e.bytes} bytes${compressed}${at} in ${seconds(e.seconds)} seconds (${kbit(e.kbitPerSecond)} kbit/s)${detail}`);
        this.done.add(e.index);
        const early = this.verifiedEarly.get(e.index);
        if (early) {
          this.verifiedEarly.delete(e.index);
          this.line(early);
        }
        break;
      }
      case 'verified':
        // The flasher verifies before it reports the segment done; print in esptool's order.
        {
          const text =
            e.checked === 'ciphertext'
              ? "Hash of ciphertext verified (only the ciphertext could be checked: the chip's key cannot be read, so whether it decrypts with that key is not known)."
              : 'Hash of data verified.';
          if (this.starts.has(e.index) && !this.done.has(e.index)) this.verifiedEarly.set(e.index, text);
          else this.line(text);
        }
        break;
      case 'skipped': {
        const offset = this.starts.get(e.index)?.offset ?? this.options.offsets?.[e.index];
        const at = offset !== undefined ? ` at ${hex8(offset)}` : '';
        this.line(`Skipped ${e.name}${at} (${skipReason(e)})`);
        break;
      }
      case 'warning':
        this.line(`Warning: ${e.message}`);
        break;
      case 'cache':
        this.line(`Note: ${e.message}`);
        break;
      case 'reset':
        this.line(`Reset: ${e.how}`);
        break;
      case 'done': {
        const parts = [`Done in ${seconds(e.seconds)} seconds: wrote ${e.written.length ? e.written.join(', ') : 'nothing'}`];
        if (e.skipped.length) parts.push(`skipped ${e.skipped.join(', ')}`);
        this.line(parts.join('; ') + '.');
        break;
      }
      case 'failed': {
        // The message itself (with what was and was not written) is the command's error paragraph.
        const where = e.segment ? ` at ${e.segment}${e.offset !== undefined ? ` (${hex8(e.offset)})` : ''}` : '';
        this.line(`Failed${where}.`);
        break;
      }
    }
  }

  /** End an open redrawn line (call before printing anything else at the end). */
  finish(): void {
    this.closeLine();
  }
}
