/**
 * A transport whose DTR/RTS go to a virtual chip directly instead of through an ioctl (a
 * pseudo-terminal has no modem lines); everything else is the real serial port underneath.
 */
import type { Transport } from './transport';

export class SideChannelLines implements Transport {
  constructor(
    private readonly inner: Transport,
    private readonly lines: (signals: { dtr?: boolean; rts?: boolean }) => void,
    readonly usb?: { vendorId: number; productId: number },
  ) {}
  get name(): string {
    return this.inner.name;
  }
  get baudRate(): number {
    return this.inner.baudRate;
  }
  write(data: Uint8Array): Promise<void> {
    return this.inner.write(data);
  }
  read(timeoutMs: number): Promise<Uint8Array> {
    return this.inner.read(timeoutMs);
  }
  flushInput(): Promise<void> {
    return this.inner.flushInput();
  }
  async setSignals(signals: { dtr?: boolean; rts?: boolean }): Promise<void> {
    // Through the real port first: a closed or lost port still fails as it would.
    await this.inner.write(new Uint8Array(0));
    this.lines(signals);
  }
  setBaudRate(baud: number): Promise<void> {
    return this.inner.setBaudRate(baud);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
