/**
 * The serial monitor: shows the chip's output line by line (timestamps, ESP-IDF level colours,
 * tag/level filter, decoded crashes) or raw, logs to a file, sends typed input, resets the chip
 * into its app, and follows the device when it goes away and comes back (matched by USB
 * identity, not by path). It owns its port under the one-owner rule (port_owners.ts) and lends
 * it to a flash job in the same process: it pauses, the flasher uses the same open transport
 * (no "port busy", no bytes dropped between), and it resumes when the port is handed back.
 */
import { PortIoError } from '../errors';
import * as fs from 'node:fs';
import { claimPort, type PortHolder, type PortLoan } from '../transport/port_owners';
import { describeIdentity, findSameDevice, identityOf, listPorts, type DeviceIdentity, type PortEntry } from '../transport/port_list';
import { ESP_ROM_BAUD, isVirtualPort, openDevicePath, openUnowned, type OpenedPort } from '../transport/open_port';
import { ESPRESSIF_VID, hardReset } from '../transport/reset_strategies';
import { ControlLinesUnsupportedError, type Transport } from '../transport/transport';
import type { CrashDecoder } from './crash_decoder';
import { LineSplitter } from './line_splitter';
import { colorize, LogFilter, stripAnsi, timestamp } from './log_lines';

export const MONITOR_STATUS_PREFIX = '--- ';

export interface MonitorOptions {
  port: string;
  /** Console baud rate (default 115200). */
  baud?: number;
  /** Reset the chip into its app on open (default true). */
  reset?: boolean;
  raw?: boolean;
  timestamps?: boolean;
  /** Colour ESP-IDF log levels (ANSI). */
  colors?: boolean;
  /** "tag:L *:L" (see LogFilter). */
  filter?: string;
  /** Append everything shown (without colours) to this file. */
  logFile?: string;
  decoder?: CrashDecoder;
  /** Terminal output. */
  write: (text: string) => void;
  /** Line ending for the terminal (default "\n"; a VS Code Pseudoterminal wants "\r\n"). */
  eol?: string;
  /** How often to look for the device while it is away (ms, default 300). */
  reconnectPollMs?: number;
  /** Show an unfinished line after this much quiet (ms, default 100). */
  fragmentMs?: number;
  /** Observers (tests, the editor): each shown chip line with its arrival time. */
  onLine?: (text: string, at: number) => void;
  onState?: (state: MonitorState) => void;
}

export type MonitorState = 'running' | 'lent' | 'waiting' | 'closed';

const READ_MS = 20;
/** While the port is quiet, how often to check that its device path still exists (ms). */
const PRESENCE_MS = 250;

export class SerialMonitor implements PortHolder {
  readonly who = 'the serial monitor';
  readonly since = Date.now();
  private transport!: Transport;
  private opened!: OpenedPort;
  private identity!: DeviceIdentity;
  private release!: () => void;
  private readonly splitter = new LineSplitter();
  /** Characters of the unfinished line already on screen; the line was broken by a status line. */
  private openShown = 0;
  private openBroken = false;
  private readonly filter?: LogFilter;
  private readonly eol: string;
  private readonly baud: number;
  private log?: fs.WriteStream;
  private stateNow: MonitorState = 'running';
  private loop?: Promise<void>;
  private parkRequest?: { parked: () => void; resume: Promise<void> };
  private resumeLoop?: () => void;
  private displayPaused = false;
  private held: string[] = [];
  private stopWaiting?: () => void;
  private presenceCheckedAt = 0;
  /** Chip lines shown so far. */
  linesShown = 0;

  private constructor(private readonly opts: MonitorOptions) {
    this.baud = opts.baud ?? ESP_ROM_BAUD;
    this.eol = opts.eol ?? '\n';
    if (opts.filter) this.filter = new LogFilter(opts.filter);
  }

  /** Claim the port, open it, reset the chip into its app (unless reset: false) and start showing output. */
  static async open(opts: MonitorOptions): Promise<SerialMonitor> {
    const m = new SerialMonitor(opts);
    m.release = claimPort(opts.port, m, 'the serial monitor can open it');
    try {
      m.opened = await openUnowned(opts.port, m.baud, { purpose: 'the serial monitor' });
      m.transport = m.opened.transport;
      const list = await listPorts();
      const virtual = m.opened.virtualChip !== undefined ? list.find((e) => e.virtualChip === m.opened.virtualChip) : undefined;
      m.identity = identityOf(virtual?.path ?? opts.port, list);
      if (opts.logFile) m.log = fs.createWriteStream(opts.logFile, { flags: 'a' });
    } catch (e) {
      m.release();
      throw e;
    }
    m.status(
      `Monitoring ${isVirtualPort(opts.port) ? `${opts.port} at ${m.identity.path}` : describeIdentity(m.identity)} at ${m.baud} baud${opts.raw ? ' (raw)' : ''}${opts.logFile ? `, logging to ${opts.logFile}` : ''}.`,
    );
    if (opts.reset ?? true) await m.resetIntoApp();
    m.loop = m.run();
    return m;
  }

  get state(): MonitorState {
    return this.stateNow;
  }

  get portPath(): string {
    return this.identity.path;
  }

  /** Resolves when the monitor has closed (quit, or an error it could not ride out). */
  get done(): Promise<void> {
    return this.loop ?? Promise.resolve();
  }

  /** Pulse EN with IO0 high: the chip restarts into its app (classic DTR/RTS and USB-Serial/JTAG alike). */
  async resetIntoApp(): Promise<void> {
    if (this.stateNow !== 'running') return;
    try {
      const usb = this.transport.usb?.vendorId === ESPRESSIF_VID;
      await this.transport.setSignals({ dtr: false, rts: false });
      await sleep(20);
      await hardReset(this.transport, sleep, usb);
      this.status(`Reset the chip into its app (${usb ? 'USB-Serial/JTAG' : 'DTR/RTS'}).`);
    } catch (e) {
      if (e instanceof ControlLinesUnsupportedError) this.status("This port has no DTR/RTS lines: not reset. Press the board's RESET button to see the boot log.");
      else this.status(`Reset failed: ${(e as Error).message}`);
    }
  }

  /** Stop/restart showing output (lines keep arriving and are shown on resume). */
  toggleDisplayPause(): boolean {
    this.displayPaused = !this.displayPaused;
    if (this.displayPaused) this.status('Output paused (lines are kept); press the pause key again to resume.');
    else {
      const held = this.held;
      this.held = [];
      this.status(`Output resumed${held.length ? ` (${held.length} lines held)` : ''}.`);
      for (const t of held) this.opts.write(t);
    }
    return this.displayPaused;
  }

  /** Send typed input to the chip. */
  async send(text: string | Uint8Array): Promise<void> {
    if (this.stateNow !== 'running') return;
    await this.transport.write(typeof text === 'string' ? new TextEncoder().encode(text) : text);
  }

  /** PortHolder: pause and lend the open port (the flasher calls this through openTransport). */
  async lend(borrower: string, baud = ESP_ROM_BAUD): Promise<PortLoan> {
    if (this.stateNow === 'closed') throw new PortIoError(`The serial monitor on ${this.opts.port} has closed.`, this.opts.port, false);
    if (this.stateNow === 'lent') throw new PortIoError(`${this.opts.port} is already lent to another job by the serial monitor.`, this.opts.port, false);
    if (this.stateNow === 'waiting')
      throw new PortIoError(
        `${this.opts.port} is not connected: the serial monitor is waiting for the device to come back. Reconnect the board and try again.`,
        this.opts.port,
        true,
      );
    let parkedNow!: () => void;
    const parked = new Promise<void>((r) => (parkedNow = r));
    const resume = new Promise<void>((r) => (this.resumeLoop = r));
    this.parkRequest = { parked: parkedNow, resume };
    this.setState('lent');
    await parked;
    this.flushFragment();
    this.status(`Paused: ${borrower} is using ${this.opts.port}.`);
    if (this.transport.baudRate !== baud) await this.transport.setBaudRate(baud);
    const inner = this.transport;
    const loaned = new LoanedTransport(inner, baud, this.baud);
    let given = false;
    return {
      transport: loaned,
      virtualChip: this.opened.virtualChip,
      giveBack: async () => {
        if (given) return;
        given = true;
        loaned.ended = true;
        try {
          if (inner.baudRate !== this.baud) await inner.setBaudRate(this.baud);
        } catch {
          // a lost port is found by the read loop
        }
        this.status(`Resumed after ${borrower}.`);
        this.setState('running');
        this.resumeLoop?.();
      },
    };
  }

  async close(): Promise<void> {
    if (this.stateNow === 'closed') return;
    this.setState('closed');
    this.resumeLoop?.();
    this.stopWaiting?.();
    await this.loop?.catch(() => undefined);
    this.flushFragment();
    try {
      if (this.transport !== this.opened.transport) await this.transport.close();
      await this.opened.close();
    } finally {
      this.release();
      await new Promise<void>((r) => (this.log ? this.log.end(r) : r()));
    }
  }

  // ---- internals ----------------------------------------------------------------------

  private is(s: MonitorState): boolean {
    return this.stateNow === s;
  }

  private setState(s: MonitorState): void {
    if (this.stateNow === 'closed' && s !== 'closed') return;
    this.stateNow = s;
    this.opts.onState?.(s);
  }

  private async run(): Promise<void> {
    while (this.stateNow !== 'closed') {
      const park = this.parkRequest;
      if (park) {
        this.parkRequest = undefined;
        park.parked();
        await park.resume;
        continue;
      }
      let bytes: Uint8Array;
      try {
        bytes = await this.transport.read(READ_MS);
      } catch (e) {
        if (this.is('closed')) break;
        if (this.parkRequest) continue;
        await this.waitForDevice((e as Error).message);
        continue;
      }
      if (bytes.length) this.onBytes(bytes);
      else {
        const f = this.splitter.fragment;
        if (f && performance.now() - f.since >= (this.opts.fragmentMs ?? 100)) this.showOpenLine();
        if (this.deviceNodeGone()) await this.waitForDevice('went away');
      }
    }
  }

  private onBytes(bytes: Uint8Array): void {
    const now = performance.now();
    if (this.opts.raw) {
      const text = Buffer.from(bytes).toString('latin1');
      this.show(text);
      this.log?.write(Buffer.from(bytes));
      return;
    }
    for (const l of this.splitter.push(bytes, now)) this.onLine(l.text, l.startedAt);
  }

  private onLine(text: string, startedAt: number): void {
    const extra = this.opts.decoder?.line(stripAnsi(text)) ?? [];
    if (!this.filter || this.filter.shows(text)) {
      const stamp = this.opts.timestamps ? `${timestamp(performance.timeOrigin + startedAt)} ` : '';
      this.linesShown++;
      this.opts.onLine?.(text, performance.now());
      // The start of the line may be on screen already (shown while the chip paused mid-line).
      if (this.openShown > 0) this.show(text.slice(this.openShown) + this.eol);
      else this.show(stamp + (this.opts.colors ? colorize(text) : text) + this.eol);
      this.log?.write(stamp + stripAnsi(text) + '\n');
    }
    this.openShown = 0;
    this.openBroken = false;
    for (const e of extra) this.status(e.slice(MONITOR_STATUS_PREFIX.length), true);
  }

  /**
   * The chip stopped in the middle of a line (a prompt, or a stall): show what it has so far and
   * keep the line open; the rest is added when it comes, and the line stays one line for the
   * decoder, the filter and the log. (With a filter the tag decides, so the line waits.)
   */
  private showOpenLine(): void {
    if (this.opts.raw || this.filter) return;
    const f = this.splitter.fragment;
    if (!f || f.text.length <= this.openShown) return;
    const stamp = this.openShown === 0 && this.opts.timestamps ? `${timestamp(performance.timeOrigin + f.since)} ` : '';
    this.show(stamp + f.text.slice(this.openShown));
    this.openShown = f.text.length;
  }

  /** End the open line as it is (the device went away, the monitor closes or lends the port). */
  private flushFragment(): void {
    const f = this.splitter.fragment;
    if (!f || this.opts.raw) return;
    this.splitter.takeFragment();
    this.onLine(f.text, f.since);
  }

  private show(text: string): void {
    if (this.displayPaused) this.held.push(text);
    else this.opts.write(text);
  }

  /** A line of the monitor's own (status, decoded frames), marked "--- ". */
  private status(message: string, decoded = false): void {
    if (this.openShown > 0 && !this.openBroken) {
      this.show(this.eol);
      this.openBroken = true;
    }
    const text = MONITOR_STATUS_PREFIX + message;
    const shown = this.opts.colors && !decoded ? `\x1b[0;35m${text}\x1b[0m` : this.opts.colors ? `\x1b[0;33m${text}\x1b[0m` : text;
    this.opts.write(shown + this.eol);
    this.log?.write(text + '\n');
  }

  /**
   * The device node is gone (unplugged) although the serial binding has not said so: a pty whose
   * other end closed, or a driver that does not report the hang-up, would leave the monitor
   * silent forever. Checked while the port is quiet, at most every PRESENCE_MS.
   */
  private deviceNodeGone(): boolean {
    const p = this.identity.path;
    if (!p.startsWith('/') || this.stateNow !== 'running') return false;
    const now = performance.now();
    if (now - this.presenceCheckedAt < PRESENCE_MS) return false;
    this.presenceCheckedAt = now;
    return !fs.existsSync(p);
  }

  /** The port went away: wait for the same device to come back and reopen it. */
  private async waitForDevice(reason: string): Promise<void> {
    this.setState('waiting');
    this.flushFragment();
    this.splitter.reset();
    const why = /went away/.test(reason) ? 'unplugged, lost power or re-enumerated' : reason.replace(/\s*Reconnect.*$/, '');
    this.status(`${describeIdentity(this.identity)} went away (${why}). Waiting for the same device to come back…`);
    try {
      await this.transport.close();
    } catch {
      /* already gone */
    }
    let lastError = '';
    const stopped = new Promise<void>((r) => (this.stopWaiting = r));
    while ((this.stateNow as MonitorState) === 'waiting') {
      const found: PortEntry | undefined = findSameDevice(this.identity, await listPorts());
      if (found) {
        try {
          const t = await openDevicePath(found.path, this.baud, found.path);
          this.transport = t;
          const moved = found.path !== this.identity.path;
          this.identity = { ...this.identity, path: found.path };
          this.setState('running');
          this.status(`Reconnected to ${describeIdentity(this.identity)}${moved ? ' (new path)' : ''}.`);
          return;
        } catch (e) {
          const msg = (e as Error).message;
          if (msg !== lastError) this.status(`The device is back but cannot be opened yet: ${msg}`);
          lastError = msg;
        }
      }
      await Promise.race([sleep(this.opts.reconnectPollMs ?? 300), stopped]);
    }
  }
}

/**
 * The monitor's transport as lent to a flash job: close() does nothing (giveBack returns it),
 * and when the job lets the chip out of reset into its app (EN released with IO0 high) at a
 * faster baud than the console's, the console baud is set first so no boot line is garbled.
 */
class LoanedTransport implements Transport {
  ended = false;
  private lines = { dtr: false, rts: false };
  constructor(
    private readonly inner: Transport,
    private readonly openBaud: number,
    private readonly consoleBaud: number,
  ) {}
  get name(): string {
    return this.inner.name;
  }
  get baudRate(): number {
    return this.inner.baudRate;
  }
  get usb(): { vendorId: number; productId: number } | undefined {
    return this.inner.usb;
  }
  private check(): void {
    if (this.ended) throw new PortIoError(`The port ${this.inner.name} was handed back to the serial monitor.`, this.inner.name, false);
  }
  write(data: Uint8Array): Promise<void> {
    this.check();
    return this.inner.write(data);
  }
  read(timeoutMs: number): Promise<Uint8Array> {
    this.check();
    return this.inner.read(timeoutMs);
  }
  flushInput(): Promise<void> {
    this.check();
    return this.inner.flushInput();
  }
  async setSignals(signals: { dtr?: boolean; rts?: boolean }): Promise<void> {
    this.check();
    const next = { dtr: signals.dtr ?? this.lines.dtr, rts: signals.rts ?? this.lines.rts };
    const enLowBefore = this.lines.rts && !this.lines.dtr;
    const enLowAfter = next.rts && !next.dtr;
    const intoApp = enLowBefore && !enLowAfter && !(next.dtr && !next.rts);
    if (intoApp && this.inner.baudRate !== this.openBaud && this.inner.baudRate !== this.consoleBaud) await this.inner.setBaudRate(this.consoleBaud);
    await this.inner.setSignals(signals);
    this.lines = next;
  }
  setBaudRate(baud: number): Promise<void> {
    this.check();
    return this.inner.setBaudRate(baud);
  }
  async close(): Promise<void> {
    // The monitor keeps the port; giveBack hands it over.
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
