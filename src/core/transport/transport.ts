/**
 * The byte pipe between the host's loader session and a chip: a real serial port
 * (serial_transport.ts) or a virtual chip in-process (src/sim). Everything above this
 * interface is transport-agnostic.
 */
export interface Transport {
  /** Human-readable name of the port (path or "virtual:esp32"). */
  readonly name: string;
  /** Write bytes; resolves once they are handed to the OS (drained). */
  write(data: Uint8Array): Promise<void>;
  /**
   * Resolve with whatever bytes arrive (at least one) before the deadline, or with an
   * empty array when the deadline passes first. Never waits longer than `timeoutMs`.
   */
  read(timeoutMs: number): Promise<Uint8Array>;
  /** Drop bytes already received and not yet read. */
  flushInput(): Promise<void>;
  /**
   * Set the DTR/RTS control lines (true = asserted). Lines left undefined keep their state.
   * Rejects with a ControlLinesUnsupportedError where the device has none (a pseudo-terminal).
   */
  setSignals(signals: { dtr?: boolean; rts?: boolean }): Promise<void>;
  /** Change the host side's baud rate. */
  setBaudRate(baud: number): Promise<void>;
  readonly baudRate: number;
  /** USB vendor/product id of the port when known (selects the USB-Serial/JTAG reset). Optional. */
  readonly usb?: { vendorId: number; productId: number };
  /** Close and release the port. Safe to call twice. */
  close(): Promise<void>;
}

/** The device has no DTR/RTS (a pseudo-terminal answers "Inappropriate ioctl for device"). */
export class ControlLinesUnsupportedError extends Error {
  constructor(port: string, cause?: string) {
    super(`The port ${port} has no DTR/RTS control lines${cause ? ` (${cause})` : ''}; reset by hand into download mode, or connect without reset (no-reset).`);
    this.name = 'ControlLinesUnsupportedError';
  }
}
