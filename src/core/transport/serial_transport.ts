/**
 * Transport over a real serial port (npm serialport): buffered reads with deadlines, drained
 * writes, DTR/RTS tracked so each request carries both lines, baud change, always released.
 */
import { PortIoError } from '../errors';
import { SerialPort } from 'serialport';
import { describeIoError, describeOpenError, isNoControlLines } from './port_errors';
import { fixPollerLostWakeups } from './poller_fix';
import { ControlLinesUnsupportedError, type Transport } from './transport';

const OPEN_TIMEOUT_MS = 5000;
const LIST_TIMEOUT_MS = 2000;

export class SerialTransport implements Transport {
  private chunks: Buffer[] = [];
  private wake: (() => void) | undefined;
  private lost: Error | undefined;
  private closed = false;
  private signals = { dtr: true, rts: true };
  private _baud: number;
  usb?: { vendorId: number; productId: number };

  private constructor(
    private readonly port: SerialPort,
    readonly name: string,
    baud: number,
  ) {
    this._baud = baud;
    port.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.wake?.();
    });
    port.on('close', (err?: Error & { disconnected?: boolean }) => {
      if (!this.closed)
        this.lost = new PortIoError(
          `The serial port ${name} went away${err?.disconnected ? ' (device unplugged or re-enumerated)' : ''}. Reconnect the board and try again.`,
          name,
          true,
        );
      this.wake?.();
    });
    port.on('error', (err: Error) => {
      if (!this.closed) this.lost = describeIoError(name, 'in use', err);
      this.wake?.();
    });
  }

  /** Open a port; failures become PortOpenError with a message saying what to do. */
  static async open(path: string, baudRate: number, displayName = path): Promise<SerialTransport> {
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve()))),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`opening did not finish within ${OPEN_TIMEOUT_MS / 1000} s`)), OPEN_TIMEOUT_MS);
        }),
      ]);
    } catch (e) {
      if (port.isOpen) await new Promise<void>((r) => port.close(() => r()));
      throw describeOpenError(path, e);
    } finally {
      clearTimeout(timer);
    }
    fixPollerLostWakeups((port as unknown as { port?: unknown }).port);
    const t = new SerialTransport(port, displayName, baudRate);
    t.usb = await findUsbIds(path);
    return t;
  }

  get baudRate(): number {
    return this._baud;
  }

  private check(): void {
    if (this.closed) throw new PortIoError(`The serial port ${this.name} is closed.`, this.name, false);
    if (this.lost) throw this.lost;
  }

  async write(data: Uint8Array): Promise<void> {
    this.check();
    await new Promise<void>((resolve, reject) => {
      // The write callback fires once every byte has gone through write(2) into the kernel.
      // No tcdrain (port.drain): on a pseudo-terminal it can block a libuv pool thread until
      // the far end has read everything, and a few of those stall every other port operation.
      this.port.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength), (err) => {
        if (err) return reject(describeIoError(this.name, 'writing', err));
        resolve();
      });
    });
  }

  async read(timeoutMs: number): Promise<Uint8Array> {
    if (!this.chunks.length) {
      this.check();
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, Math.max(0, timeoutMs));
        function done() {
          clearTimeout(t);
          resolve();
        }
        this.wake = done;
      });
      this.wake = undefined;
      if (!this.chunks.length) {
        this.check();
        return new Uint8Array(0);
      }
    }
    const out = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    this.chunks = [];
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }

  async flushInput(): Promise<void> {
    this.check();
    // Not port.flush(): serialport's flush is tcflush(TCIOFLUSH), which would also throw away
    // bytes we wrote that the device has not read yet. serialport reads continuously, so what
    // the kernel holds arrives as 'data' within a tick; let it land, then drop it.
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.chunks = [];
  }

  async setSignals(signals: { dtr?: boolean; rts?: boolean }): Promise<void> {
    this.check();
    const next = { dtr: signals.dtr ?? this.signals.dtr, rts: signals.rts ?? this.signals.rts };
    await new Promise<void>((resolve, reject) => {
      // serialport's set() asserts any line left out, so both are always given.
      this.port.set({ dtr: next.dtr, rts: next.rts }, (err) => {
        if (!err) return resolve();
        if (isNoControlLines(err)) reject(new ControlLinesUnsupportedError(this.name, err.message));
        else reject(new PortIoError(`Setting DTR/RTS on ${this.name} failed: ${err.message}`, this.name, false));
      });
    });
    this.signals = next;
  }

  async setBaudRate(baud: number): Promise<void> {
    this.check();
    await new Promise<void>((resolve, reject) =>
      this.port.update({ baudRate: baud }, (err) =>
        err ? reject(new PortIoError(`Changing ${this.name} to ${baud} baud failed: ${err.message}. Choose a baud rate the USB bridge supports.`, this.name, false)) : resolve(),
      ),
    );
    this._baud = baud;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake?.();
    if (!this.port.isOpen) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 2000);
      this.port.close(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}

/** USB VID/PID of a port when the OS lists it (best effort, bounded). */
async function findUsbIds(path: string): Promise<{ vendorId: number; productId: number } | undefined> {
  if (!/^\/dev\/tty(USB|ACM)|^\/dev\/(cu|tty)\.|^COM\d+$/i.test(path)) return undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const list = await Promise.race([
      SerialPort.list(),
      new Promise<[]>((resolve) => {
        timer = setTimeout(() => resolve([]), LIST_TIMEOUT_MS);
      }),
    ]);
    const info = list.find((p) => p.path === path);
    if (info?.vendorId && info.productId) return { vendorId: parseInt(info.vendorId, 16), productId: parseInt(info.productId, 16) };
  } catch {
    // listing is only a hint
  } finally {
    clearTimeout(timer);
  }
  return undefined;
}
