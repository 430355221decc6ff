/**
 * SLIP framing as the chip sees it (spec §1.1), written for the virtual chip only.
 *
 * The reader treats every 0xC0 as a frame boundary: bytes between two boundaries form a
 * candidate frame. Text outside frames (boot-log echo, line noise) and half frames end up as
 * candidates that fail to parse as a command and are dropped by the caller, so the reader
 * resynchronises on the next 0xC0 without any special state.
 */

export const SLIP_END = 0xc0;
export const SLIP_ESC = 0xdb;
export const SLIP_ESC_END = 0xdc;
export const SLIP_ESC_ESC = 0xdd;

/** Upper bound for one candidate frame; longer runs are line noise and are discarded. */
export const MAX_FRAME_BYTES = 0x10000;

/** Encode one frame: leading and trailing 0xC0, 0xC0/0xDB escaped. */
export function slipEncode(payload: Uint8Array): Uint8Array {
  let extra = 0;
  for (const b of payload) if (b === SLIP_END || b === SLIP_ESC) extra++;
  const out = new Uint8Array(payload.length + extra + 2);
  let o = 0;
  out[o++] = SLIP_END;
  for (const b of payload) {
    if (b === SLIP_END) {
      out[o++] = SLIP_ESC;
      out[o++] = SLIP_ESC_END;
    } else if (b === SLIP_ESC) {
      out[o++] = SLIP_ESC;
      out[o++] = SLIP_ESC_ESC;
    } else {
      out[o++] = b;
    }
  }
  out[o] = SLIP_END;
  return out;
}

export interface SlipReaderCounters {
  /** Frames dropped for a bad escape sequence or for exceeding MAX_FRAME_BYTES. */
  brokenFrames: number;
  /** Bytes seen before the first boundary or inside discarded frames. */
  discardedBytes: number;
}

/** Incremental SLIP reader: push bytes, get complete (unescaped) frames back. */
export class SlipFrameReader {
  private buf: number[] = [];
  private escaped = false;
  private broken = false;
  private seenBoundary = false;
  readonly counters: SlipReaderCounters = { brokenFrames: 0, discardedBytes: 0 };

  push(bytes: Uint8Array): Uint8Array[] {
    const frames: Uint8Array[] = [];
    for (const b of bytes) {
      if (b === SLIP_END) {
        this.closeCandidate(frames);
        this.seenBoundary = true;
        continue;
      }
      if (!this.seenBoundary || this.broken) {
        this.counters.discardedBytes++;
        continue;
      }
      if (this.escaped) {
        this.escaped = false;
        if (b === SLIP_ESC_END) this.buf.push(SLIP_END);
        else if (b === SLIP_ESC_ESC) this.buf.push(SLIP_ESC);
        else this.markBroken();
        continue;
      }
      if (b === SLIP_ESC) {
        this.escaped = true;
        continue;
      }
      this.buf.push(b);
      if (this.buf.length > MAX_FRAME_BYTES) this.markBroken();
    }
    return frames;
  }

  /** Forget any partial frame (after a reset or a baud change). */
  reset(): void {
    this.buf = [];
    this.escaped = false;
    this.broken = false;
    this.seenBoundary = false;
  }

  private markBroken(): void {
    this.counters.brokenFrames++;
    this.counters.discardedBytes += this.buf.length;
    this.buf = [];
    this.broken = true;
    this.escaped = false;
  }

  private closeCandidate(frames: Uint8Array[]): void {
    if (!this.broken && !this.escaped && this.buf.length > 0) frames.push(Uint8Array.from(this.buf));
    else if (this.escaped) this.counters.brokenFrames++;
    this.buf = [];
    this.escaped = false;
    this.broken = false;
  }
}
