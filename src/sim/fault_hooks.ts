/**
 * Fault injection for the virtual chip. Every fault is armed from "now": `nth: 1` means the
 * next matching frame. Frames are counted per armed fault, optionally only those with a given
 * opcode (incoming: request opcode; outgoing: response opcode — raw frames such as OHAI or
 * READ_FLASH data have none and only match selectors without an opcode).
 */

export type Direction = 'in' | 'out';

export interface FrameSelector {
  direction: Direction;
  /** 1 = the next matching frame (default), 2 = the one after, … */
  nth?: number;
  /** Count only frames with this opcode. */
  opcode?: number;
  /** Count only frames that arrive while the stub runs (true) or while the ROM loader answers (false). */
  inStub?: boolean;
}

export interface CorruptSpec extends FrameSelector {
  /**
   * Byte of the (unescaped) frame to change; negative counts from the end. Default: the last
   * byte for incoming frames (data or checksum ⇒ checksum/parameter error), byte 1 (the
   * opcode) for outgoing frames (the host sees a reply it did not ask for).
   */
  byteIndex?: number;
  /** XOR mask applied to that byte (default 0x01). */
  xor?: number;
}

export interface OpcodeFailure {
  /** ROM error byte (status [1, rom, 0, 0]); default 0x06 "message ok but running result wrong". */
  rom?: number;
  /** Stub 16-bit code (status [code>>8, code&0xff]); default 0xC400 "failed SPI operation". */
  stub?: number;
  /** How many times (default: every time until cleared). */
  times?: number;
}

interface Armed<T> {
  sel: FrameSelector;
  seen: number;
  extra: T;
}

export type BaudRefusal = 'silent' | 'error';

export class FaultHooks {
  private drops: Armed<null>[] = [];
  private corrupts: Armed<{ byteIndex?: number; xor: number }>[] = [];
  private stallTriggers: Armed<{ ms?: number }>[] = [];
  private stallUntil = 0;
  private opFailures = new Map<number, Required<Pick<OpcodeFailure, 'rom' | 'stub'>> & { left: number }>();
  private disconnectAt: { direction: Direction; left: number } | undefined;
  private baudRefusal: BaudRefusal | undefined;
  /** Called by the chip when a disconnect fault fires or `disconnect()` is used. */
  onDisconnect?: () => void;

  /** Drop the nth matching frame (incoming: never processed; outgoing: never sent). */
  dropFrame(sel: FrameSelector): void {
    this.drops.push({ sel: checkSel(sel), seen: 0, extra: null });
  }

  /** Flip bits in one byte of the nth matching frame. */
  corruptFrame(spec: CorruptSpec): void {
    this.corrupts.push({ sel: checkSel(spec), seen: 0, extra: { byteIndex: spec.byteIndex, xor: spec.xor ?? 0x01 } });
  }

  /**
   * Stop answering: incoming frames are ignored and nothing is sent, for `ms` milliseconds
   * (forever when omitted, until `resume()` or `clear()`). With `when`, the stall starts at the
   * nth matching incoming frame, which is itself swallowed.
   */
  stall(ms?: number, when?: { nth?: number; opcode?: number; inStub?: boolean }): void {
    if (when) {
      this.stallTriggers.push({ sel: checkSel({ direction: 'in', ...when }), seen: 0, extra: { ms } });
      return;
    }
    this.startStall(ms);
  }

  resume(): void {
    this.stallUntil = 0;
  }

  /** Answer `opcode` with an error status instead of executing it. */
  failOpcode(opcode: number, failure: OpcodeFailure = {}): void {
    this.opFailures.set(opcode, { rom: failure.rom ?? 0x06, stub: failure.stub ?? 0xc400, left: failure.times ?? Infinity });
  }

  /** Cut the line after `n` more bytes in `direction` (default: bytes from the host). */
  disconnectAtByte(n: number, direction: Direction = 'in'): void {
    if (!Number.isInteger(n) || n < 0) throw new Error(`disconnectAtByte needs a byte count ≥ 0, got ${n}.`);
    this.disconnectAt = { direction, left: n };
  }

  /** CHANGE_BAUDRATE: 'silent' = answer OK but keep the old baud; 'error' = answer with a failure. */
  refuseBaudChange(mode: BaudRefusal = 'silent'): void {
    this.baudRefusal = mode;
  }

  clear(): void {
    this.drops = [];
    this.corrupts = [];
    this.stallTriggers = [];
    this.stallUntil = 0;
    this.opFailures.clear();
    this.disconnectAt = undefined;
    this.baudRefusal = undefined;
  }

  // ---- used by the virtual chip ----------------------------------------------------------

  /** @internal */
  get baudChangeRefusal(): BaudRefusal | undefined {
    return this.baudRefusal;
  }

  /** @internal True while the chip must not answer. */
  stalled(now: number): boolean {
    return now < this.stallUntil;
  }

  /** @internal Apply drop/corrupt/stall faults to a frame; undefined = the frame is gone. */
  filterFrame(direction: Direction, frame: Uint8Array, now: number, inStub?: boolean): Uint8Array | undefined {
    const op = frameOpcode(direction, frame);
    let gone = false;
    if (direction === 'in') {
      for (const t of this.fired(this.stallTriggers, direction, op, inStub)) {
        this.startStall(t.extra.ms, now);
        gone = true;
      }
    }
    if (this.fired(this.drops, direction, op).length > 0) gone = true;
    let out = frame;
    for (const c of this.fired(this.corrupts, direction, op)) {
      if (out.length === 0) continue;
      out = out.slice();
      let i = c.extra.byteIndex ?? (direction === 'in' ? -1 : 1);
      if (i < 0) i += out.length;
      i = Math.max(0, Math.min(out.length - 1, i));
      out[i] ^= c.extra.xor;
    }
    this.drops = this.drops.filter(pending);
    this.corrupts = this.corrupts.filter(pending);
    this.stallTriggers = this.stallTriggers.filter(pending);
    return gone ? undefined : out;
  }

  /** @internal A failure to answer with, if one is armed for this opcode. */
  takeOpcodeFailure(opcode: number): { rom: number; stub: number } | undefined {
    const f = this.opFailures.get(opcode);
    if (!f) return undefined;
    f.left--;
    if (f.left <= 0) this.opFailures.delete(opcode);
    return { rom: f.rom, stub: f.stub };
  }

  /**
   * @internal How many of `n` bytes in `direction` pass before a disconnect fault fires;
   * returns `n` when none is armed. Calls onDisconnect when the limit is reached.
   */
  passBytes(direction: Direction, n: number): number {
    const d = this.disconnectAt;
    if (!d || d.direction !== direction) return n;
    if (n < d.left) {
      d.left -= n;
      return n;
    }
    const pass = d.left;
    this.disconnectAt = undefined;
    this.onDisconnect?.();
    return pass;
  }

  private startStall(ms: number | undefined, now = performance.now()): void {
    this.stallUntil = ms === undefined ? Infinity : now + ms;
  }

  /** Count a frame against the armed faults of a list; return those that fire on it. */
  private fired<T>(list: Armed<T>[], direction: Direction, op: number | undefined, inStub?: boolean): Armed<T>[] {
    const hits: Armed<T>[] = [];
    for (const a of list) {
      if (a.sel.direction !== direction || !matches(a, op)) continue;
      if (a.sel.inStub !== undefined && inStub !== undefined && a.sel.inStub !== inStub) continue;
      a.seen++;
      if (a.seen === (a.sel.nth ?? 1)) hits.push(a);
    }
    return hits;
  }
}

function pending(a: Armed<unknown>): boolean {
  return a.seen < (a.sel.nth ?? 1);
}

function checkSel<T extends FrameSelector>(sel: T): T {
  if (sel.nth !== undefined && (!Number.isInteger(sel.nth) || sel.nth < 1)) {
    throw new Error(`Fault selector nth must be an integer ≥ 1 (1 = next frame), got ${sel.nth}.`);
  }
  return sel;
}

function matches(a: Armed<unknown>, op: number | undefined): boolean {
  return a.sel.opcode === undefined || a.sel.opcode === op;
}

/** Request opcode (incoming, direction byte 0) or response opcode (outgoing, direction byte 1). */
function frameOpcode(direction: Direction, frame: Uint8Array): number | undefined {
  if (frame.length < 8) return undefined;
  if (direction === 'in' && frame[0] === 0x00) return frame[1];
  if (direction === 'out' && frame[0] === 0x01) return frame[1];
  return undefined;
}
