/**
 * The virtual chip: the device side of the ESP serial loader protocol (ROM loader and flasher
 * stub) for every chip in the chip facts table, with flash memory, eFuses, flash encryption,
 * reset lines, a UART timing model and fault hooks. Reach it in-process through `transport()`
 * or as a serial device path through `startPtyChip()` (pty_chip.ts).
 */
import { ChipFacts, ChipName, chipFacts } from '../core/chips';
import { ControlLinesUnsupportedError, Transport } from '../core/transport/transport';
import { baudsMatch, garble } from './baud_mismatch';
import { downloadBootLog, ResetLines, ResetReason } from './boot_messages';
import { bootText, panicText, type AppSpec } from './app_firmware';
import { DelayLine } from './delay_line';
import { defaultMac, EncryptionMode, Efuses, generateKey, validateKey } from './efuses';
import { FaultHooks } from './fault_hooks';
import { FlashMemory } from './flash_memory';
import { FlashOps } from './flash_ops';
import { InProcessTransport } from './in_process_transport';
import { HandlerResult, LoaderCommands, STUB_GREETING, StubGeneration } from './loader_commands';
import { OP, parseRequest } from './loader_packets';
import { ROM_ERR, STUB_ERR } from './loader_status';
import { countCommand, newSimStats, SimStats } from './sim_stats';
import { SLIP_END, SlipFrameReader, slipEncode } from './slip_frames';
import { jedecSizeId, SpiFlashRegisters } from './spi_flash_regs';
import { defaultTimings, FlashTimings, resolveTimings, wireMs } from './timing_model';

export interface VirtualChipOptions {
  chip: ChipName;
  /** Bytes, default 4 MiB; a power of two the chip can address. */
  flashSize?: number;
  /**
   * How an uploaded stub image the chip does not recognise behaves (default 'current',
   * esp-flasher-stub). Known images (esptool-js 0.7.0's and esptool 4.12's stub sets) always
   * run as the stub they are, whatever this says (loader_commands.ts).
   */
  stub?: StubGeneration;
  /** Default 'off'. */
  encryption?: EncryptionMode;
  /** Flash-encryption key; a random one is generated when encryption is on and none is given. */
  key?: Uint8Array;
  /** Size of a generated XTS key; default 32. */
  xtsKeySize?: 32 | 64;
  /** ESP32 only, default 0xF. */
  flashCryptConfig?: number;
  secureBoot?: boolean;
  /** 6 bytes; default derived from the chip name. */
  mac?: Uint8Array;
  /**
   * UART + flash timing model (off by default). `true` = datasheet figures (timing_model.ts);
   * an object overrides single figures.
   */
  timing?: boolean | Partial<FlashTimings>;
  /**
   * In-process transport only: DTR/RTS exist (default true). The chip then starts running
   * "firmware" (boot log, ignores SYNC) until the reset sequence puts it in download mode.
   * Without lines it starts in download mode and every reboot lands there again (a board
   * with IO0 held low).
   */
  resetLines?: boolean;
  /** Print the ROM boot log (default true). */
  bootLog?: boolean;
  /**
   * A USB-Serial/JTAG port (VID 303A PID 1001): a reset into the app re-enumerates the USB
   * device (the pseudo-terminal goes away and comes back, pty_chip.ts).
   */
  usbJtag?: boolean;
  /** Console baud rate of the app (default 115200): its output after the boot log runs at this rate. */
  appBaud?: number;
  /** The app prints "I (ms) app: tick N" every tickMs milliseconds (off by default). */
  tickMs?: number;
}

/**
 * One handled request, for benchmarks: when the chip took it up, when its last reply byte is
 * on the wire (the timing model's clock; performance.now() ms), and the byte counters then.
 */
export interface TraceEvent {
  op: number | undefined;
  takenAt: number;
  repliedAt: number;
  /** Host bytes that had arrived (all of this request's), and chip bytes sent, at that point. */
  bytesIn: number;
  bytesOut: number;
}

/** firmware: running the app (ignores the loader); download: ROM or stub loader; reset: EN held low. */
export type ChipMode = 'firmware' | 'download' | 'reset';

/** Receives bytes the chip sends; `chipBaud` is the rate they were sent at. */
export type HostSink = (bytes: Uint8Array, chipBaud: number) => void;

export const ROM_BAUD = 115200;
const MiB = 1024 * 1024;

export class VirtualChip {
  readonly chip: ChipFacts;
  readonly faults = new FaultHooks();
  readonly stats: SimStats = newSimStats();
  /** Figures the timing model uses (datasheet defaults; stats count them even with timing off). */
  readonly timings: FlashTimings;
  readonly timingEnabled: boolean;
  /** Model for unrecognised stub images. */
  readonly unknownStub: StubGeneration;
  readonly resetLinesPresent: boolean;

  private readonly flash: FlashMemory;
  private readonly efuses: Efuses;
  private readonly loader: LoaderCommands;
  private readonly spiRegs: SpiFlashRegisters;
  private readonly lines = new ResetLines();
  private readonly slip = new SlipFrameReader();
  private readonly rxLine: DelayLine<{ bytes: Uint8Array; hostBaud?: number }>;
  private readonly txLine: DelayLine<{ bytes: Uint8Array; baud: number }>;
  private readonly bootLog: boolean;
  private readonly xtsKeySize: 32 | 64;
  private modeNow: ChipMode;
  private chipBaud = ROM_BAUD;
  private romSynced = false;
  private rxFreeAt = 0;
  private txFreeAt = 0;
  private busyUntil = 0;
  private queue: Uint8Array[] = [];
  private pumping = false;
  private sink?: HostSink;
  private closed = false;
  private disconnectedNow = false;
  private sleepers = new Set<() => void>();
  private disconnectListeners = new Set<() => void>();
  private traceListeners = new Set<(e: TraceEvent) => void>();
  /** Host bytes that have arrived at the chip (stats.bytesIn counts them when the host sends). */
  private arrivedIn = 0;
  private currentTransport?: InProcessTransport;
  /** Benchmarks: called with each chunk as it leaves the chip (after the wire model), before the host gets it. */
  onTransmit?: (bytes: Uint8Array) => void;
  private app?: AppSpec;
  private appTimer?: NodeJS.Timeout;
  private appConsole = '';
  private bootListeners = new Set<(into: 'download' | 'firmware') => void>();
  private readonly appBaud: number;
  private readonly tickMs?: number;
  readonly usbJtag: boolean;

  constructor(opts: VirtualChipOptions) {
    this.chip = chipFacts(opts.chip);
    const flashSize = opts.flashSize ?? 4 * MiB;
    if (!Number.isInteger(flashSize) || flashSize < 0x40000 || flashSize > this.chip.maxFlashSize || !Number.isInteger(Math.log2(flashSize))) {
      throw new Error(
        `Virtual ${this.chip.displayName} flash size ${flashSize} must be a power of two from 256 KiB to ${this.chip.maxFlashSize / MiB} MiB (e.g. 4194304 for 4 MiB).`,
      );
    }
    jedecSizeId(flashSize);
    this.unknownStub = opts.stub ?? 'current';
    if (!['legacy', 'legacy-1.10', 'current'].includes(this.unknownStub)) {
      throw new Error(`Virtual chip option stub must be 'legacy', 'legacy-1.10' or 'current', got '${String(opts.stub)}'.`);
    }
    const mode = opts.encryption ?? 'off';
    if (!['off', 'development', 'release'].includes(mode)) {
      throw new Error(`Virtual chip option encryption must be off, development or release, got '${String(mode)}'.`);
    }
    this.xtsKeySize = opts.xtsKeySize ?? 32;
    let key: Uint8Array | undefined = opts.key ? Uint8Array.from(opts.key) : undefined;
    if (key) validateKey(this.chip, key);
    if (!key && mode !== 'off') key = generateKey(this.chip, this.xtsKeySize);
    this.efuses = new Efuses(this.chip, {
      mode,
      key,
      flashCryptConfig: opts.flashCryptConfig ?? 0xf,
      secureBoot: opts.secureBoot ?? false,
      mac: opts.mac ? Uint8Array.from(opts.mac) : defaultMac(this.chip),
    });
    const t = resolveTimings(opts.timing, this.chip.name);
    this.timingEnabled = t !== undefined;
    this.timings = t ?? defaultTimings(this.chip.name);
    this.flash = new FlashMemory(flashSize);
    this.spiRegs = new SpiFlashRegisters(this.chip.spi, flashSize);
    this.loader = new LoaderCommands({
      chip: this.chip,
      ops: new FlashOps(this.flash, this.stats, this.timings),
      efuses: this.efuses,
      spi: this.spiRegs,
      stats: this.stats,
      unknownStub: this.unknownStub,
      registers: new Map(),
      uartBaud: () => this.chipBaud,
      now: () => performance.now(),
    });
    this.rxLine = new DelayLine((x) => this.onWireIn(x.bytes, x.hostBaud));
    this.txLine = new DelayLine((x) => {
      this.onTransmit?.(x.bytes);
      this.sink?.(x.bytes, x.baud);
    });
    this.faults.onDisconnect = () => this.disconnect();
    this.bootLog = opts.bootLog ?? true;
    this.resetLinesPresent = opts.resetLines ?? true;
    this.usbJtag = opts.usbJtag ?? false;
    this.lines.usbJtag = this.usbJtag;
    this.appBaud = opts.appBaud ?? ROM_BAUD;
    this.tickMs = opts.tickMs;
    this.modeNow = 'reset';
    this.boot('power-on', this.resetLinesPresent ? 'firmware' : 'download');
  }

  // ---- public inspection / seeding -------------------------------------------------------

  get key(): Uint8Array | undefined {
    return this.efuses.key;
  }
  get inStub(): boolean {
    return this.loader.inStub;
  }
  /** The stub running now: its model, and whether its image was recognised (undefined in the ROM loader). */
  get runningStub(): { model: StubGeneration; known: boolean } | undefined {
    return this.loader.inStub ? { model: this.loader.stubGeneration, known: this.loader.stubKnown } : undefined;
  }
  /** Every stub started since the chip was created: its model and whether its image was recognised. */
  get stubsStarted(): readonly { model: StubGeneration; known: boolean }[] {
    return this.loader.stubsStarted;
  }
  /** The chip's UART baud rate now. */
  get baud(): number {
    return this.chipBaud;
  }
  get mode(): ChipMode {
    return this.modeNow;
  }
  get encryption(): EncryptionMode {
    return this.efuses.mode;
  }
  get flashSize(): number {
    return this.flash.size;
  }
  get mac(): Uint8Array {
    return Uint8Array.from(this.efuses.mac);
  }
  get disconnected(): boolean {
    return this.disconnectedNow;
  }
  get closedForGood(): boolean {
    return this.closed;
  }
  /** Opcodes the SPI user-command flow has executed (0x9F = read JEDEC id). */
  get spiCommandsExecuted(): readonly number[] {
    return this.spiRegs.executed;
  }
  /** Why the last write failed (the wire only carries a status code). */
  get lastWriteFault(): string {
    return this.loader.lastFaultDetail;
  }

  /** Raw flash bytes (ciphertext where encrypted writes stored it). */
  readFlash(offset: number, length: number): Uint8Array {
    return this.flash.read(offset, length);
  }

  /** Flash as the chip's own flash cache sees it through the encryption engine. */
  decryptFlash(offset: number, length: number): Uint8Array {
    return this.cipherOrThrow('decryptFlash').decrypt(offset, this.flash.read(offset, length));
  }

  /** Raw write, no erase needed. */
  preloadFlash(offset: number, data: Uint8Array): void {
    this.flash.preload(offset, data);
  }

  /** What an encrypted write of `plain` at `offset` stores. */
  encryptForFlash(offset: number, plain: Uint8Array): Uint8Array {
    return this.cipherOrThrow('encryptForFlash').encrypt(offset, plain);
  }

  /** Burn a new flash-encryption state. A key is kept, taken from `key`, or generated. */
  setEncryption(mode: EncryptionMode, key?: Uint8Array): void {
    let k = key ? Uint8Array.from(key) : this.efuses.key;
    if (!k && mode !== 'off') k = generateKey(this.chip, this.xtsKeySize);
    this.efuses.update({ mode, key: k });
  }

  /** Change other eFuse state (Secure Boot, ESP32 FLASH_CRYPT_CONFIG, MAC). */
  setEfuses(patch: { secureBoot?: boolean; flashCryptConfig?: number; mac?: Uint8Array }): void {
    this.efuses.update({
      ...(patch.secureBoot !== undefined ? { secureBoot: patch.secureBoot } : {}),
      ...(patch.flashCryptConfig !== undefined ? { flashCryptConfig: patch.flashCryptConfig } : {}),
      ...(patch.mac !== undefined ? { mac: Uint8Array.from(patch.mac) } : {}),
    });
  }

  /** Value READ_REG would return (magic, eFuse, SPI and other registers). */
  readRegister(addr: number): number {
    return this.loader.readRegister(addr);
  }

  /** Press the buttons: reset into download mode (IO0 low) or into the firmware. */
  reset(into: 'download' | 'firmware' = 'download'): void {
    this.enterReset();
    this.boot('power-on', into);
  }

  /** Cut the line now (as the disconnect fault does). */
  disconnect(): void {
    if (this.disconnectedNow || this.closed) return;
    this.disconnectedNow = true;
    this.queue = [];
    this.rxLine.clear();
    this.txLine.clear();
    for (const l of [...this.disconnectListeners]) l();
  }

  /** In-process host end. A new transport replaces (closes) the previous one. */
  transport(): Transport {
    if (this.closed) throw new Error(`Virtual ${this.chip.displayName} is closed; create a new VirtualChip.`);
    void this.currentTransport?.close();
    this.currentTransport = new InProcessTransport(this);
    return this.currentTransport;
  }

  close(): void {
    if (this.closed) return;
    this.stopApp();
    this.closed = true;
    this.queue = [];
    this.rxLine.close();
    this.txLine.close();
    for (const wake of [...this.sleepers]) wake();
    this.sleepers.clear();
    this.sink = undefined;
    const t = this.currentTransport;
    this.currentTransport = undefined;
    void t?.close();
  }

  // ---- host side hooks (used by the transports) ------------------------------------------

  /** @internal Attach the host end; returns a function that detaches it. */
  attachHost(sink: HostSink): () => void {
    this.sink = sink;
    return () => {
      if (this.sink === sink) this.sink = undefined;
    };
  }

  /** @internal Subscribe to boots (after the boot log is queued); returns an unsubscribe function. */
  onBoot(listener: (into: 'download' | 'firmware') => void): () => void {
    this.bootListeners.add(listener);
    return () => this.bootListeners.delete(listener);
  }

  /** The app image the chip runs now (undefined in the loader or without a valid app). */
  get runningApp(): AppSpec | undefined {
    return this.modeNow === 'firmware' ? this.app : undefined;
  }

  /** Make the running app crash: Guru Meditation with a backtrace (or abort()), then reboot into it. */
  crash(kind: 'panic' | 'abort' = 'panic'): void {
    if (this.modeNow !== 'firmware' || this.closed) return;
    this.stopApp();
    this.sendText(panicText(this.chip, this.app, kind));
    this.enterReset();
    this.boot('software', 'firmware');
  }

  /**
   * Benchmark: the app prints numbered lines back to back at its console baud for `ms`
   * milliseconds: "F <seq> <t> …" where t is the time (ms since the epoch, performance.timeOrigin
   * + performance.now(), so another process can compare it with its own clock) the line's last
   * byte leaves the chip. Resolves with the number of lines and bytes sent.
   */
  flood(ms: number, lineLength = 64): Promise<{ lines: number; bytes: number }> {
    return new Promise((resolve) => {
      this.stopApp();
      const start = performance.now();
      let seq = 0;
      let bytes = 0;
      let budgetFrom = start;
      const perMs = this.chipBaud / 10 / 1000;
      const tick = (): void => {
        const now = performance.now();
        if (this.closed || this.modeNow !== 'firmware' || now - start >= ms) {
          this.stopApp();
          resolve({ lines: seq, bytes });
          return;
        }
        // Keep at most ~20 ms of output queued ahead of the wire.
        const until = now + 20;
        while (budgetFrom < until) {
          const head = `F ${String(seq).padStart(9, '0')} `;
          const doneAt = (this.timingEnabled ? Math.max(now, this.txFreeAt) : now) + lineLength / perMs;
          const t = (performance.timeOrigin + doneAt).toFixed(3);
          const line = `${head}${t} `.padEnd(lineLength - 2, 'x') + '\r\n';
          this.sendText(line);
          bytes += line.length;
          seq++;
          budgetFrom += line.length / perMs;
        }
      };
      this.appTimer = setInterval(tick, 5);
    });
  }

  /** Observe every handled request (benchmarks); returns an unsubscribe function. */
  onTrace(listener: (e: TraceEvent) => void): () => void {
    this.traceListeners.add(listener);
    return () => this.traceListeners.delete(listener);
  }

  /** @internal Subscribe to disconnects; returns an unsubscribe function. */
  onDisconnect(listener: () => void): () => void {
    this.disconnectListeners.add(listener);
    return () => this.disconnectListeners.delete(listener);
  }

  /**
   * @internal Bytes from the host, sent at `hostBaud` (undefined on a pseudo-terminal, which
   * has no line speed). Returns the time (performance.now() ms) the last byte is on the wire.
   */
  fromHost(data: Uint8Array, hostBaud?: number): number {
    const now = performance.now();
    if (this.closed || this.disconnectedNow || data.length === 0) return now;
    const bytes = data.slice(0, this.faults.passBytes('in', data.length));
    this.stats.bytesIn += bytes.length;
    if (bytes.length === 0) return now;
    if (!this.timingEnabled) {
      this.rxLine.push(0, { bytes, hostBaud });
      return now;
    }
    // Each frame is processed when its last byte has arrived at baud/10 bytes per second.
    const rate = hostBaud ?? this.chipBaud;
    let t = Math.max(now, this.rxFreeAt);
    let start = 0;
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] !== SLIP_END && i !== bytes.length - 1) continue;
      const chunk = bytes.subarray(start, i + 1);
      t += wireMs(chunk.length, rate);
      this.rxLine.push(t, { bytes: chunk, hostBaud });
      start = i + 1;
    }
    this.rxFreeAt = t;
    return t;
  }

  /** @internal DTR/RTS from the in-process transport. */
  setSignals(signals: { dtr?: boolean; rts?: boolean }, portName: string): void {
    if (!this.resetLinesPresent) throw new ControlLinesUnsupportedError(portName, 'Inappropriate ioctl for device');
    if (this.closed || this.disconnectedNow) return;
    const ev = this.lines.set(signals);
    if (ev === 'reset') this.enterReset();
    else if (ev === 'boot') this.boot('power-on', this.lines.io0Low ? 'download' : 'firmware');
  }

  // ---- internals -------------------------------------------------------------------------

  private cipherOrThrow(what: string) {
    const c = this.efuses.cipher();
    if (!c) {
      throw new Error(`${what}: the virtual ${this.chip.displayName} has no flash-encryption key; pass key or encryption in its options or call setEncryption().`);
    }
    return c;
  }

  private stopApp(): void {
    if (this.appTimer) clearInterval(this.appTimer);
    this.appTimer = undefined;
  }

  /** Bytes typed to the app's console: "panic" or "abort" + Enter crash it. */
  private appInput(bytes: Uint8Array): void {
    this.appConsole += Buffer.from(bytes).toString('latin1');
    let nl: number;
    while ((nl = this.appConsole.search(/[\r\n]/)) >= 0) {
      const cmd = this.appConsole.slice(0, nl).trim();
      this.appConsole = this.appConsole.slice(nl + 1);
      if (cmd === 'panic' || cmd === 'abort') {
        this.crash(cmd);
        return;
      }
      if (cmd) this.sendText(`I (${Math.round(performance.now())}) app: got "${cmd}"\r\n`);
    }
    if (this.appConsole.length > 256) this.appConsole = '';
  }

  private startApp(text: string, app: AppSpec | undefined): void {
    this.app = app;
    this.sendText(text);
    if (!app) return;
    this.chipBaud = this.appBaud;
    if (this.tickMs && this.tickMs > 0) {
      let n = 0;
      const t0 = performance.now();
      this.appTimer = setInterval(() => {
        if (this.closed || this.modeNow !== 'firmware') return this.stopApp();
        this.sendText(`I (${Math.round(performance.now() - t0)}) app: tick ${n++}\r\n`);
      }, this.tickMs);
    }
  }

  private enterReset(): void {
    this.stopApp();
    this.app = undefined;
    this.modeNow = 'reset';
    this.loader.reset();
    this.queue = [];
    this.slip.reset();
    this.rxLine.clear();
    this.busyUntil = 0;
    this.chipBaud = ROM_BAUD;
    this.romSynced = false;
  }

  private boot(reason: ResetReason, into: 'download' | 'firmware'): void {
    this.loader.reset();
    this.slip.reset();
    this.chipBaud = ROM_BAUD;
    this.romSynced = false;
    this.busyUntil = 0;
    this.modeNow = into;
    // Listeners first: a USB-Serial/JTAG port drops off the bus before the boot log goes out.
    for (const l of [...this.bootListeners]) l(into);
    if (this.bootLog) {
      if (into === 'download') this.sendText(downloadBootLog(this.chip, reason));
      else {
        const rst = reason === 'power-on' ? 'rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)' : 'rst:0xc (SW_CPU_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)';
        const b = bootText(this.chip, this.flashView(), rst);
        this.startApp(b.text, b.app);
      }
    }
  }

  private flashView(): { read(offset: number, length: number): Uint8Array } {
    return {
      read: (offset, length) => {
        const end = Math.min(offset + length, this.flash.size);
        if (offset >= end) return new Uint8Array(length);
        const raw = this.flash.read(offset, end - offset);
        const c = this.efuses.cipher();
        if (!this.efuses.encryptionEnabled || !c) return raw;
        // The flash cache decrypts whole 16/32-byte blocks: read aligned and cut.
        const a = offset & ~0x3f;
        const e = Math.min((end + 0x3f) & ~0x3f, this.flash.size);
        return c.decrypt(a, this.flash.read(a, e - a)).subarray(offset - a, offset - a + (end - offset));
      },
    };
  }

  private onWireIn(bytes: Uint8Array, hostBaud: number | undefined): void {
    if (this.closed || this.disconnectedNow) return;
    this.arrivedIn += bytes.length;
    let b = bytes;
    if (hostBaud !== undefined && !baudsMatch(hostBaud, this.chipBaud)) {
      if (this.modeNow === 'download' && !this.loader.inStub && !this.romSynced) {
        this.chipBaud = hostBaud; // the ROM's autobaud locks onto the host's rate before the first SYNC
      } else {
        this.stats.garbledBytes += b.length;
        b = garble(b, hostBaud, this.chipBaud);
      }
    }
    if (this.modeNow === 'firmware' && this.app) this.appInput(b);
    if (this.modeNow !== 'download') return;
    const now = performance.now();
    for (const frame of this.slip.push(b)) {
      this.stats.framesIn++;
      const f = this.faults.filterFrame('in', frame, now, this.loader.inStub);
      if (!f || this.faults.stalled(now)) continue;
      this.queue.push(f);
    }
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const frame = this.queue.shift()!;
        if (this.timingEnabled) {
          const wait = this.busyUntil - performance.now();
          if (wait > 0) await this.sleep(wait);
        }
        if (this.closed || this.disconnectedNow || this.modeNow !== 'download') continue;
        if (this.faults.stalled(performance.now())) continue;
        await this.process(frame);
      }
    } finally {
      this.pumping = false;
    }
  }

  private async process(frame: Uint8Array): Promise<void> {
    const req = parseRequest(frame);
    if (req && frame.length >= 8) {
      const failure = this.faults.takeOpcodeFailure(req.op);
      if (failure) {
        countCommand(this.stats, req.op);
        this.sendFrame(this.loader.failureReply(req.op, failure.rom, failure.stub));
        return;
      }
    }
    const res = this.loader.handleFrame(frame);
    if (!res) {
      this.stats.badFrames++;
      return;
    }
    if (res.op === OP.SYNC && !this.loader.inStub) this.romSynced = true;
    this.applyBaudRefusal(res);
    const start = performance.now();
    const before = (res.replyAfterWork ? res.workMs : 0) + (res.replies.length > 0 ? this.timings.replyLatencyMs : 0);
    if (this.timingEnabled && before > 0) {
      await this.sleep(before);
      if (this.closed || this.modeNow !== 'download') return;
    }
    for (const r of res.replies) this.sendFrame(r);
    if (this.traceListeners.size) {
      const e: TraceEvent = { op: res.op, takenAt: start, repliedAt: Math.max(performance.now(), this.txFreeAt), bytesIn: this.arrivedIn, bytesOut: this.stats.bytesOut };
      for (const l of this.traceListeners) l(e);
    }
    if (this.timingEnabled) this.busyUntil = res.replyAfterWork ? performance.now() : Math.max(performance.now(), start + res.workMs);
    const action = res.action;
    if (!action) return;
    switch (action.kind) {
      case 'enter-stub':
        this.loader.enterStub();
        this.sendFrame(STUB_GREETING);
        break;
      case 'change-baud':
        // The reply went out at the old rate (already queued with it); later bytes use the new one.
        this.chipBaud = action.baud;
        this.rxFreeAt = Math.max(this.rxFreeAt, this.txFreeAt);
        break;
      case 'reboot':
        this.enterReset();
        this.boot('software', this.resetLinesPresent && !this.lines.io0Low ? 'firmware' : 'download');
        break;
      case 'run-user-code':
        this.loader.reset();
        this.modeNow = 'firmware';
        for (const l of [...this.bootListeners]) l('firmware');
        if (this.bootLog) {
          const b = bootText(this.chip, this.flashView(), 'rst:0x0 (run user code)');
          this.startApp(b.text, b.app);
        }
        break;
    }
  }

  private applyBaudRefusal(res: HandlerResult): void {
    if (res.action?.kind !== 'change-baud') return;
    const refusal = this.faults.baudChangeRefusal;
    if (!refusal) return;
    res.action = undefined;
    if (refusal === 'error') res.replies = [this.loader.failureReply(OP.CHANGE_BAUDRATE, ROM_ERR.INVALID_PARAM, STUB_ERR.BAD_DATA_LEN)];
  }

  private sendFrame(payload: Uint8Array): void {
    if (this.closed || this.disconnectedNow) return;
    const now = performance.now();
    const f = this.faults.filterFrame('out', payload, now);
    if (!f || this.faults.stalled(now)) return;
    this.stats.framesOut++;
    this.sendBytes(slipEncode(f));
  }

  private sendText(text: string): void {
    this.sendBytes(new TextEncoder().encode(text));
  }

  private sendBytes(data: Uint8Array): void {
    if (this.closed || this.disconnectedNow) return;
    const bytes = data.subarray(0, this.faults.passBytes('out', data.length));
    if (bytes.length === 0) return;
    this.stats.bytesOut += bytes.length;
    if (!this.timingEnabled) {
      this.txLine.push(0, { bytes, baud: this.chipBaud });
      return;
    }
    const t = Math.max(performance.now(), this.txFreeAt) + wireMs(bytes.length, this.chipBaud);
    this.txFreeAt = t;
    this.txLine.push(t, { bytes, baud: this.chipBaud });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }
}
