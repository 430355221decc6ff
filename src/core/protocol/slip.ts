/**
 * SLIP framing (esp-serial-protocol.md §1.1): 0xC0 delimits frames, 0xDB escapes.
 * The decoder is streaming and tolerant: bytes outside a frame (boot log, ROM banner, stray
 * noise) are kept as "noise" for diagnostics instead of being treated as an error.
 */

export const SLIP_END = 0xc0;
export const SLIP_ESC = 0xdb;
export const SLIP_ESC_END = 0xdc;
export const SLIP_ESC_ESC = 0xdd;

/** Wrap one packet in a SLIP frame, escaping 0xC0 and 0xDB. */
export function slipEncode(packet: Uint8Array): Uint8Array {
  let extra = 0;
  for (const b of packet) if (b === SLIP_END || b === SLIP_ESC) extra++;
  const out = new Uint8Array(packet.length + extra + 2);
  let o = 0;
  out[o++] = SLIP_END;
  for (const b of packet) {
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
  out[o++] = SLIP_END;
  return out;
}

/** What the decoder hands out: a whole frame, or a frame that had a bad escape sequence. */
export type SlipItem = { kind: 'frame'; data: Uint8Array } | { kind: 'bad-frame'; reason: string };

/** Maximum noise kept for diagnostics (the most recent bytes). */
const NOISE_KEEP = 8192;

export class SlipDecoder {
  private inFrame = false;
  private escaping = false;
  private broken: string | undefined;
  private buf: number[] = [];
  private readonly items: SlipItem[] = [];
  private noise: number[] = [];
  private noiseTotal = 0;

  /** Feed received bytes; complete frames become available through `take()`. */
  push(chunk: Uint8Array): void {
    for (const b of chunk) {
      if (!this.inFrame) {
        if (b === SLIP_END) {
          this.inFrame = true;
          this.escaping = false;
          this.broken = undefined;
          this.buf = [];
        } else {
          this.addNoise(b);
        }
        continue;
      }
      if (b === SLIP_END) {
        if (this.buf.length === 0 && !this.broken && !this.escaping) {
          // "C0 C0": the end of a frame we never saw the start of, or back-to-back
          // delimiters. Treat this C0 as the opening one.
          continue;
        }
        if (this.broken || this.escaping) {
          this.items.push({ kind: 'bad-frame', reason: this.broken ?? 'frame ended inside an escape sequence' });
        } else {
          this.items.push({ kind: 'frame', data: Uint8Array.from(this.buf) });
        }
        this.inFrame = false;
        this.buf = [];
        this.broken = undefined;
        this.escaping = false;
        continue;
      }
      if (this.escaping) {
        this.escaping = false;
        if (b === SLIP_ESC_END) this.buf.push(SLIP_END);
        else if (b === SLIP_ESC_ESC) this.buf.push(SLIP_ESC);
        else if (!this.broken) this.broken = `invalid SLIP escape 0xDB 0x${b.toString(16).padStart(2, '0')}`;
        continue;
      }
      if (b === SLIP_ESC) this.escaping = true;
      else this.buf.push(b);
    }
  }

  /** Next decoded item, or undefined. */
  take(): SlipItem | undefined {
    return this.items.shift();
  }

  get pending(): number {
    return this.items.length;
  }

  /** True while part of a frame has been received. */
  get midFrame(): boolean {
    return this.inFrame && (this.buf.length > 0 || this.escaping);
  }

  /** Drop partial and queued frames (after flushing the port). Noise is kept. */
  reset(): void {
    this.inFrame = false;
    this.escaping = false;
    this.broken = undefined;
    this.buf = [];
    this.items.length = 0;
  }

  /** Recent bytes seen outside frames (boot log), as text. */
  noiseText(): string {
    return Buffer.from(this.noise).toString('latin1');
  }

  /** Total number of noise bytes seen since the last `clearNoise()`. */
  get noiseBytes(): number {
    return this.noiseTotal;
  }

  clearNoise(): void {
    this.noise = [];
    this.noiseTotal = 0;
  }

  private addNoise(b: number): void {
    this.noiseTotal++;
    this.noise.push(b);
    if (this.noise.length > NOISE_KEEP * 2) this.noise = this.noise.slice(-NOISE_KEEP);
  }
}
