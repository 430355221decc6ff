/**
 * The host end of a virtual chip inside the same process, shaped like any other Transport.
 * DTR/RTS drive the chip's reset-line model; the host baud rate is compared with the chip's
 * and bytes crossing at mismatched rates arrive garbled.
 */
import { Transport } from '../core/transport/transport';
import { baudsMatch, garble } from './baud_mismatch';
import type { VirtualChip } from './virtual_chip';

export class InProcessTransport implements Transport {
  readonly name: string;
  private rate = 115200;
  private rx: Uint8Array[] = [];
  private waiter?: () => void;
  private closed = false;
  private lost = false;
  private readonly detach: () => void;
  private readonly unsubscribe: () => void;

  constructor(private readonly chip: VirtualChip) {
    this.name = `virtual:${chip.chip.name}`;
    this.detach = chip.attachHost((bytes, chipBaud) => this.receive(bytes, chipBaud));
    this.unsubscribe = chip.onDisconnect(() => {
      this.lost = true;
      this.wake();
    });
    if (chip.disconnected) this.lost = true;
  }

  get baudRate(): number {
    return this.rate;
  }

  async write(data: Uint8Array): Promise<void> {
    this.checkOpen('write to');
    if (this.lost) throw this.lostError();
    const doneAt = this.chip.fromHost(Uint8Array.from(data), this.rate);
    // Like a drained serial write: resolve once the bytes are on the wire (timing model only).
    const wait = doneAt - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  }

  async read(timeoutMs: number): Promise<Uint8Array> {
    this.checkOpen('read from');
    if (this.rx.length === 0 && !this.lost && timeoutMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.waiter = undefined;
          resolve();
        }, timeoutMs);
        this.waiter = () => {
          clearTimeout(timer);
          this.waiter = undefined;
          resolve();
        };
      });
    }
    if (this.rx.length > 0) {
      const out = concat(this.rx);
      this.rx = [];
      return out;
    }
    if (this.closed) return new Uint8Array(0); // closed while waiting
    if (this.lost) throw this.lostError();
    return new Uint8Array(0);
  }

  async flushInput(): Promise<void> {
    this.rx = [];
  }

  async setSignals(signals: { dtr?: boolean; rts?: boolean }): Promise<void> {
    this.checkOpen('set lines on');
    if (this.lost) throw this.lostError();
    this.chip.setSignals(signals, this.name);
  }

  async setBaudRate(baud: number): Promise<void> {
    this.checkOpen('set the baud rate of');
    if (!Number.isInteger(baud) || baud <= 0) throw new Error(`${this.name}: invalid baud rate ${baud}.`);
    this.rate = baud;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.detach();
    this.unsubscribe();
    this.rx = [];
    this.wake();
  }

  private receive(bytes: Uint8Array, chipBaud: number): void {
    if (this.closed) return;
    this.rx.push(baudsMatch(chipBaud, this.rate) ? bytes : garble(bytes, chipBaud, this.rate));
    this.wake();
  }

  private wake(): void {
    this.waiter?.();
  }

  private checkOpen(what: string): void {
    if (this.closed) throw new Error(`Cannot ${what} ${this.name}: the port is closed.`);
    if (this.chip.closedForGood) throw new Error(`Cannot ${what} ${this.name}: the virtual chip was closed.`);
  }

  private lostError(): Error {
    return new Error(`${this.name}: the device disconnected (virtual chip line cut); reconnect with a new transport.`);
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
