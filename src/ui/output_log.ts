/**
 * Flash events → esptool-like log lines for the "ESP Flasher" output channel (and for the
 * task terminal). One formatter per flash job: it remembers each segment's offset and the last
 * progress step printed. No vscode here; the channel is any sink with info/warn/error.
 */
import type { FlashEvent } from '../core/flash/events';
import type { FlashResult } from '../core/flash/api';

export type LogLevel = 'info' | 'warn' | 'error';

export interface LogLine {
  level: LogLevel;
  text: string;
}

/** What the lines go to: a vscode LogOutputChannel fits, so does a test array. */
export interface LogSink {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function hex8(n: number): string {
  return '0x' + (n >>> 0).toString(16).padStart(8, '0');
}

export function hexShort(n: number): string {
  return '0x' + (n >>> 0).toString(16);
}

export function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

/** Percent steps at which a "Writing at …" line is printed. */
const STEP_PERCENT = 10;

interface SegmentSeen {
  name: string;
  offset: number;
  size: number;
}

export class FlashLogFormatter {
  private readonly segments = new Map<number, SegmentSeen>();
  private readonly lastStep = new Map<number, number>();
  private segmentCount = 0;

  lines(e: FlashEvent): LogLine[] {
    const info = (text: string): LogLine[] => [{ level: 'info', text }];
    switch (e.kind) {
      case 'connecting':
        return info(`Connecting to ${e.port} (attempt ${e.attempt}, ${e.strategy})...`);
      case 'connected':
        return info(`Connected to ${e.port}.`);
      case 'chip':
        return info(`Chip is ${e.description}`);
      case 'device': {
        const id = e.info.identity;
        if (!id) return [];
        const rev = id.revision ? `revision v${id.revision.major}.${id.revision.minor}, ` : '';
        return info(`${rev}crystal ${id.crystalMHz ?? '?'} MHz, features: ${id.features.join(', ')}`);
      }
      case 'stub':
        return info(e.running ? `Stub flasher running (${e.detail}).` : `Using the ROM loader, no stub (${e.detail}).`);
      case 'baud':
        return info(`Changed baud rate to ${e.baud}.`);
      case 'plan':
        this.segmentCount = e.segments;
        return info(`Writing ${e.segments} segment${e.segments === 1 ? '' : 's'}, ${e.totalBytes} bytes in total.`);
      case 'segment-start': {
        this.segments.set(e.index, { name: e.name, offset: e.offset, size: e.size });
        this.lastStep.set(e.index, 0);
        const of = this.segmentCount ? `/${this.segmentCount}` : '';
        return info(`[${e.index + 1}${of}] ${e.name} at ${hex8(e.offset)}: ${e.size} bytes, ${e.method}`);
      }
      case 'progress': {
        if (e.total <= 0) return [];
        const step = Math.floor((e.written / e.total) * (100 / STEP_PERCENT)) * STEP_PERCENT;
        if (step <= (this.lastStep.get(e.index) ?? 0)) return [];
        this.lastStep.set(e.index, step);
        const offset = this.segments.get(e.index)?.offset;
        const at = offset === undefined ? e.name : hex8(offset + e.written);
        return info(`Writing at ${at}... (${step} %) ${e.kbitPerSecond.toFixed(1)} kbit/s`);
      }
      case 'segment-done': {
        const offset = this.segments.get(e.index)?.offset;
        const where = offset === undefined ? e.name : `${e.name} at ${hex8(offset)}`;
        // Fewer bytes sent than written: compressed. More (encrypted data padded to its block): not worth a note.
        const sent = e.sentBytes < e.bytes ? ` (${e.sentBytes} compressed)` : '';
        return info(`Wrote ${e.bytes} bytes${sent} to ${where} in ${e.seconds.toFixed(1)} seconds (${e.kbitPerSecond.toFixed(1)} kbit/s).`);
      }
      case 'verified':
        return info(
          e.checked === 'ciphertext'
            ? `Hash of ciphertext verified for ${e.name} (md5 ${e.md5}); only the ciphertext could be checked (the chip's key cannot be read).`
            : `Hash of data verified for ${e.name} (md5 ${e.md5}).`,
        );
      case 'skipped':
        return info(`Skipped ${e.name}: ${e.reason}`);
      case 'warning':
        return [{ level: 'warn', text: `Warning: ${e.message}` }];
      case 'cache':
        return info(e.message);
      case 'reset':
        return info(`Resetting: ${e.how}.`);
      case 'done': {
        const wrote = e.written.length ? `wrote ${e.written.join(', ')}` : 'wrote nothing';
        const skipped = e.skipped.length ? `; skipped ${e.skipped.join(', ')} (unchanged)` : '';
        return info(`Done in ${e.seconds.toFixed(1)} s: ${wrote}${skipped}.`);
      }
      case 'failed': {
        const at = e.segment !== undefined ? ` at ${e.segment}${e.offset !== undefined ? ` (${hex8(e.offset)})` : ''}` : '';
        const lines: LogLine[] = [{ level: 'error', text: `Failed${at}: ${e.message}` }];
        if (e.written.length) lines.push({ level: 'error', text: `Written before the failure: ${e.written.join(', ')}.` });
        if (e.notWritten.length) lines.push({ level: 'error', text: `Not written: ${e.notWritten.join(', ')}.` });
        return lines;
      }
    }
  }
}

/** A short per-segment table of a finished job, printed after the event lines. */
export function resultSummaryLines(result: FlashResult): LogLine[] {
  const lines: LogLine[] = result.segments.map((s) => ({
    level: s.status === 'failed' ? 'error' : 'info',
    text:
      `  ${s.name.padEnd(18)} ${hex8(s.offset)}  ${s.status.padEnd(11)} ${String(s.bytes).padStart(9)} bytes` +
      (s.status === 'written' ? `  ${s.seconds.toFixed(1)} s${s.verified ? ', verified' : ''}` : ''),
  }));
  const head = result.ok
    ? `Flash finished in ${result.seconds.toFixed(1)} s (${result.wireBytesOut} bytes sent, ${result.wireBytesIn} received).`
    : `Flash failed after ${result.seconds.toFixed(1)} s: ${result.error ?? 'see the lines above'}`;
  return [{ level: result.ok ? 'info' : 'error', text: head }, ...lines];
}

export function writeLines(sink: LogSink, lines: LogLine[]): void {
  for (const l of lines) sink[l.level](l.text);
}
