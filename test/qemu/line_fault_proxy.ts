/**
 * A TCP relay between socat and QEMU's UART0 that damages chosen host → chip frames, for ring
 * tests of what a noisy line does to the real ROM: one data byte flipped (the ROM refuses the
 * frame with a checksum error) or the frame's END byte dropped (the ROM keeps reading and never
 * answers). Chip → host bytes pass unchanged. Frames are counted by opcode on the raw SLIP
 * stream, so a fault hits the nth frame of that opcode the host sends, re-sent ones included.
 * The stream is tracked byte by byte rather than through the product's SlipDecoder: every byte
 * must pass on as the host sent it, including a lone END (which a decoder swallows as an empty
 * frame, and which is how the host ends a frame that lost its END).
 */
import * as net from 'node:net';
import { SLIP_END as END, SLIP_ESC as ESC } from '../../src/core/protocol/slip';

export interface LineFault {
  /** Request opcode of the frames counted. */
  opcode: number;
  /** 1 = the first frame with that opcode. */
  nth: number;
  /** 'flip': one data byte XOR 0x01; 'drop-end': the frame's closing END byte is not passed on. */
  kind: 'flip' | 'drop-end';
}

/** Tracks SLIP frames in the host → chip stream and applies the faults; exported for its unit test. */
export class FrameFaults {
  private inFrame = false;
  private index = 0;
  private prev = 0;
  private hit: LineFault | undefined;
  private flipped = false;
  private readonly seen = new Map<number, number>();
  /** What was done, in order, for failure messages. */
  readonly applied: string[] = [];

  constructor(private readonly faults: LineFault[]) {}

  /** The bytes to pass on for `chunk`. */
  push(chunk: Uint8Array): Uint8Array {
    const out: number[] = [];
    for (const b of chunk) {
      if (b === END) {
        if (this.inFrame && this.index > 0) {
          this.inFrame = false;
          const drop = this.hit?.kind === 'drop-end';
          if (drop) this.applied.push(`dropped the END of frame op 0x${this.hit!.opcode.toString(16)} #${this.hit!.nth}`);
          this.hit = undefined;
          if (drop) continue;
        } else {
          this.inFrame = true;
          this.index = 0;
          this.flipped = false;
        }
        out.push(b);
        continue;
      }
      let v = b;
      if (this.inFrame) {
        if (this.index === 1) {
          const n = (this.seen.get(b) ?? 0) + 1;
          this.seen.set(b, n);
          this.hit = this.faults.find((f) => f.opcode === b && f.nth === n);
        }
        // A data byte well past the headers whose flip cannot make or break an escape or an END.
        if (this.hit?.kind === 'flip' && !this.flipped && this.index >= 40 && this.prev !== ESC && ![0xc0, 0xc1, 0xda, 0xdb].includes(b)) {
          v = b ^ 0x01;
          this.flipped = true;
          this.applied.push(`flipped byte ${this.index} of frame op 0x${this.hit.opcode.toString(16)} #${this.hit.nth}`);
        }
        this.index++;
      }
      this.prev = b;
      out.push(v);
    }
    return Uint8Array.from(out);
  }
}

/** A relay on 127.0.0.1 (its `port`) to QEMU's UART0 at `target`. */
export class LineFaultProxy {
  private constructor(
    private readonly server: net.Server,
    private readonly sockets: Set<net.Socket>,
    readonly port: number,
    readonly faults: FrameFaults,
  ) {}

  static async start(target: number, faults: LineFault[]): Promise<LineFaultProxy> {
    const ff = new FrameFaults(faults);
    const sockets = new Set<net.Socket>();
    const server = net.createServer((client) => {
      const chip = net.connect(target, '127.0.0.1');
      for (const s of [client, chip]) {
        s.setNoDelay(true);
        sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => sockets.delete(s));
      }
      client.on('data', (d: Buffer) => chip.write(ff.push(d)));
      chip.on('data', (d: Buffer) => client.write(d));
      client.on('close', () => chip.destroy());
      chip.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return new LineFaultProxy(server, sockets, (server.address() as net.AddressInfo).port, ff);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
