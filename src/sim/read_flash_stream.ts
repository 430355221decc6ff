/**
 * The stub's READ_FLASH data flow (spec §2.6): raw data frames of `packetSize` bytes, never
 * more than `maxInFlight` unacknowledged; the host acknowledges with a raw 4-byte frame holding
 * the total bytes received; after everything is acknowledged a raw 16-byte MD5 frame follows.
 */
import * as crypto from 'node:crypto';
import { u32 } from './loader_packets';

export class ReadFlashStream {
  private sent = 0;
  private acked = 0;
  done = false;

  /** Flash bytes sent so far (the loader reads each packet before sending it). */
  get sentBytes(): number {
    return this.sent;
  }

  constructor(
    private readonly data: Uint8Array,
    private readonly packetSize: number,
    private readonly maxInFlight: number,
  ) {}

  /** Frames to send right after the command's OK reply. */
  start(): Uint8Array[] {
    return this.fill();
  }

  /** Handle a frame from the host; returns frames to send, or undefined if it was not an ack. */
  onFrame(frame: Uint8Array): Uint8Array[] | undefined {
    if (frame.length !== 4) return undefined;
    const total = u32(frame, 0);
    if (total > this.sent || total < this.acked) return undefined; // nonsense ack: ignore like noise
    this.acked = total;
    const out = this.fill();
    if (this.acked >= this.data.length && !this.done) {
      this.done = true;
      out.push(new Uint8Array(crypto.createHash('md5').update(this.data).digest()));
    }
    return out;
  }

  private fill(): Uint8Array[] {
    const out: Uint8Array[] = [];
    while (this.sent < this.data.length && Math.ceil((this.sent - this.acked) / this.packetSize) < this.maxInFlight) {
      const n = Math.min(this.packetSize, this.data.length - this.sent);
      out.push(this.data.slice(this.sent, this.sent + n));
      this.sent += n;
    }
    if (this.data.length === 0 && !this.done) {
      this.done = true;
      out.push(new Uint8Array(crypto.createHash('md5').update(this.data).digest()));
    }
    return out;
  }
}
