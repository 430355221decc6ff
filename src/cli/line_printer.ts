/**
 * How a production-line run looks on the terminal. On a TTY: one live line per device, redrawn
 * in place at most 5 times a second (cheap for 8+ devices on 2 cores). Otherwise: each
 * device's usual lines (ProgressPrinter, 10 % steps) prefixed by its port. Then a table:
 * port, chip, MAC, result, seconds.
 */
import type { FlashEvent } from '../core/flash/events';
import type { DeviceRecord } from '../core/line/device_record';
import { LineProgress, type DeviceProgress } from '../core/line/device_progress';
import type { LinePort } from '../core/line/port_selection';
import type { OutFn } from './cli_context';
import { ProgressPrinter, bar } from './progress_printer';

const REDRAW_MS = 200;

export interface LinePrinterOptions {
  tty: boolean;
  rawWrite?: (text: string) => void;
  /** Plain prefixed lines even on a terminal (fixture mode: devices come and go). */
  plain?: boolean;
  /** Terminal width: live lines are cut to it (a wrapped line would break the redraw). */
  columns?: number;
}

export class LinePrinter {
  private readonly progress = new LineProgress();
  private readonly printers = new Map<string, ProgressPrinter>();
  private readonly width: number;
  private drawn = 0;
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly live: boolean;

  constructor(
    private readonly out: OutFn,
    ports: LinePort[],
    private readonly options: LinePrinterOptions,
  ) {
    this.live = options.tty && !!options.rawWrite && !options.plain;
    this.width = Math.max(4, ...ports.map((p) => p.port.length));
    for (const p of ports) this.progress.add(p.port);
    if (this.live) {
      this.draw();
      this.timer = setInterval(() => this.dirty && this.draw(), REDRAW_MS);
      this.timer.unref();
    }
  }

  /** Bind per device: `onEvent: printer.listener`. */
  readonly listener = (p: LinePort, e: FlashEvent): void => {
    if (this.live) this.dirty = this.progress.update(p.port, e) || this.dirty;
    else this.printerFor(p).handle(e);
  };

  /** A line about one device outside its events (attach, report errors). */
  note(port: string, text: string): void {
    if (this.live) {
      this.progress.note(port, text);
      this.dirty = true;
    } else this.out(`[${port}] ${text}`);
  }

  private printerFor(p: LinePort): ProgressPrinter {
    let printer = this.printers.get(p.port);
    if (!printer) {
      const prefix = `[${p.port}]`;
      printer = new ProgressPrinter((line) => this.out(`${prefix} ${line}`), { tty: false });
      this.printers.set(p.port, printer);
    }
    return printer;
  }

  private lineFor(r: DeviceProgress): string {
    const progress = r.fraction !== undefined ? `${bar(r.fraction, 20)} ${(r.fraction * 100).toFixed(0).padStart(3)}%` : ' '.repeat(27);
    const rate = r.kbitPerSecond !== undefined && !r.finished ? ` ${Math.round(r.kbitPerSecond).toString().padStart(5)} kbit/s` : '';
    const line = `${r.port.padEnd(this.width)}  ${(r.chip ?? '').padEnd(8)}  ${progress}  ${r.status}${rate}`;
    const max = (this.options.columns ?? 0) - 1;
    return max > 20 && line.length > max ? line.slice(0, max - 1) + '…' : line;
  }

  private draw(): void {
    const write = this.options.rawWrite as (t: string) => void;
    const lines = this.progress.all.map((r) => this.lineFor(r));
    let text = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    for (const l of lines) text += `\r${l}\x1b[K\n`;
    write(text);
    this.drawn = lines.length;
    this.dirty = false;
  }

  /** Stop redrawing (final state drawn). */
  finish(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.live) this.draw();
    for (const p of this.printers.values()) p.finish();
  }
}

/** The closing table: port, chip, MAC, result, seconds — and why each failure failed. */
export function lineTable(records: DeviceRecord[]): string[] {
  const head = ['port', 'chip', 'MAC', 'result', 'seconds'];
  const body = records.map((r) => [
    r.port,
    r.chip ?? '?',
    r.mac ?? '?',
    r.result === 'ok' ? 'ok' : r.outcome === 'failed' ? 'FAILED' : r.outcome.toUpperCase(),
    r.seconds.toFixed(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => (i === 4 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const lines = [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(fmt)];
  const failures = records.filter((r) => r.result !== 'ok');
  if (failures.length) {
    lines.push('');
    for (const r of failures) lines.push(`${r.port}: ${r.error ?? r.outcome}`);
  }
  const ok = records.length - failures.length;
  lines.push('', `${ok} of ${records.length} device${records.length === 1 ? '' : 's'} flashed${failures.length ? `, ${failures.length} not` : ''}.`);
  return lines;
}
