import type { Transport } from './transport';

/** Wraps a Transport and counts the bytes that cross the wire in each direction. */
export class CountingTransport implements Transport {
  bytesOut = 0;
  bytesIn = 0;

  constructor(readonly inner: Transport) {}

  get name(): string {
    return this.inner.name;
  }
  get baudRate(): number {
    return this.inner.baudRate;
  }
  get usb(): { vendorId: number; productId: number } | undefined {
    return this.inner.usb;
  }
  async write(data: Uint8Array): Promise<void> {
    await this.inner.write(data);
    this.bytesOut += data.length;
  }
  async read(timeoutMs: number): Promise<Uint8Array> {
    const d = await this.inner.read(timeoutMs);
    this.bytesIn += d.length;
    return d;
  }
  flushInput(): Promise<void> {
    return this.inner.flushInput();
  }
  setSignals(s: { dtr?: boolean; rts?: boolean }): Promise<void> {
    return this.inner.setSignals(s);
  }
  setBaudRate(baud: number): Promise<void> {
    return this.inner.setBaudRate(baud);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
