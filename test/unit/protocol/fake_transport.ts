/**
 * A scripted device for unit tests: decodes the host's SLIP requests and answers through a
 * handler. Not a simulator — each test states the bytes the device sends back.
 */
import { SlipDecoder, slipEncode } from '../../../src/core/protocol/slip';
import { ControlLinesUnsupportedError, type Transport } from '../../../src/core/transport/transport';

export interface Request {
  op: number;
  size: number;
  checksum: number;
  data: Uint8Array;
  /** Raw frame (host → device frames without a request header, e.g. READ_FLASH acks). */
  frame: Uint8Array;
}

/** What the handler returns: packets to SLIP-encode, or raw bytes (noise) to deliver. */
export type Reply = Uint8Array | { raw: Uint8Array };

export function u32(...words: number[]): Uint8Array {
  const b = Buffer.alloc(words.length * 4);
  words.forEach((w, i) => b.writeUInt32LE(w >>> 0, i * 4));
  return new Uint8Array(b);
}

/** Build a response packet: 01 op size value data+status. */
export function resp(op: number, opts: { value?: number; payload?: Uint8Array | number[]; status?: number[] } = {}): Uint8Array {
  const payload = Uint8Array.from(opts.payload ?? []);
  const status = Uint8Array.from(opts.status ?? [0, 0, 0, 0]);
  const b = Buffer.alloc(8 + payload.length + status.length);
  b[0] = 1;
  b[1] = op;
  b.writeUInt16LE(payload.length + status.length, 2);
  b.writeUInt32LE((opts.value ?? 0) >>> 0, 4);
  b.set(payload, 8);
  b.set(status, 8 + payload.length);
  return new Uint8Array(b);
}

export class FakeTransport implements Transport {
  name = 'fake:port';
  baudRate = 115200;
  requests: Request[] = [];
  signals: { dtr?: boolean; rts?: boolean }[] = [];
  signalError?: Error;
  closed = false;
  private inbox: Uint8Array[] = [];
  private wake?: () => void;
  private decoder = new SlipDecoder();

  constructor(public handler: (req: Request, t: FakeTransport) => Reply[] | void = () => []) {}

  /** Queue bytes for the host to read. */
  deliver(r: Reply): void {
    this.inbox.push(r instanceof Uint8Array ? slipEncode(r) : r.raw);
    this.wake?.();
  }

  async write(data: Uint8Array): Promise<void> {
    this.decoder.push(data);
    for (let item = this.decoder.take(); item; item = this.decoder.take()) {
      if (item.kind !== 'frame') continue;
      const f = item.data;
      const dv = Buffer.from(f);
      const req: Request =
        f.length >= 8 && f[0] === 0
          ? { op: f[1], size: dv.readUInt16LE(2), checksum: dv.readUInt32LE(4), data: f.subarray(8), frame: f }
          : { op: -1, size: f.length, checksum: 0, data: f, frame: f };
      this.requests.push(req);
      for (const r of this.handler(req, this) ?? []) this.deliver(r);
    }
  }

  async read(timeoutMs: number): Promise<Uint8Array> {
    if (!this.inbox.length) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, timeoutMs);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = undefined;
    }
    const out = Buffer.concat(this.inbox);
    this.inbox = [];
    return new Uint8Array(out);
  }

  async flushInput(): Promise<void> {
    this.inbox = [];
  }

  async setSignals(s: { dtr?: boolean; rts?: boolean }): Promise<void> {
    if (this.signalError) throw this.signalError;
    this.signals.push(s);
  }

  async setBaudRate(baud: number): Promise<void> {
    this.baudRate = baud;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Make setSignals fail as a pseudo-terminal does. */
  noControlLines(): this {
    this.signalError = new ControlLinesUnsupportedError(this.name, 'Inappropriate ioctl for device');
    return this;
  }
}
