/** Errors raised by the loader protocol, with texts a person can act on (§1.6). */

const ROM_ERRORS: Record<number, string> = {
  0x00: 'undefined error',
  0x01: 'input parameter invalid',
  0x02: 'malloc failed',
  0x03: 'failed to send message',
  0x04: 'failed to receive message',
  0x05: 'received message format invalid (or unsupported command)',
  0x06: 'message ok but running result wrong',
  0x07: 'checksum error',
  0x08: 'flash write error',
  0x09: 'flash read error',
  0x0a: 'flash read length error',
  0x0b: 'deflate failed',
  0x0c: 'deflate Adler-32 error',
  0x0d: 'deflate parameter error',
  0x0e: 'invalid RAM binary size',
  0x0f: 'invalid RAM binary address',
  0x64: 'invalid parameter',
  0x65: 'invalid format',
  0x66: 'description too long',
  0x67: 'bad encoding description',
  0x69: 'insufficient storage',
};

const STUB_ERRORS: Record<number, string> = {
  0xc0: 'bad data length',
  0xc1: 'bad data checksum',
  0xc2: 'bad block size',
  0xc3: 'invalid command',
  0xc4: 'failed SPI operation (write, erase or encrypted write failed)',
  0xc5: 'failed SPI unlock',
  0xc6: 'not in flash mode',
  0xc7: 'inflate error',
  0xc8: 'not enough data',
  0xc9: 'too much data',
  0xca: 'NAND program failed',
  0xcb: 'NAND erase failed',
  0xff: 'command not implemented',
  0x32: 'erase address not 4 KiB aligned',
  0x33: 'erase length not 4 KiB aligned',
  0x34: 'flash unlock failed',
  0x35: 'erase failed',
};

/** Describe the two status bytes of a failed command. */
export function describeStatus(status: number, error: number): string {
  if (status === 0x01) return `ROM error 0x${error.toString(16).padStart(2, '0')}: ${ROM_ERRORS[error] ?? 'unknown error'}`;
  const code = (status << 8) | error;
  const text = STUB_ERRORS[status];
  return `stub error 0x${code.toString(16).padStart(4, '0')}: ${text ?? 'unknown result'}`;
}

/** The chip answered a command with a failure status. */
export class CommandFailedError extends Error {
  constructor(
    readonly opName: string,
    readonly status: number,
    readonly errorCode: number,
    context?: string,
  ) {
    super(`${context ? context + ': ' : ''}${opName} failed — ${describeStatus(status, errorCode)}.`);
    this.name = 'CommandFailedError';
  }
  /** 16-bit code as esptool prints it: (status << 8) | error. */
  get code(): number {
    return (this.status << 8) | this.errorCode;
  }
}

/** The loader does not implement a command (ROM "invalid message" reply, stub 0xC3/0xFF). */
export class UnsupportedCommandError extends Error {
  constructor(
    readonly opName: string,
    detail?: string,
  ) {
    super(`The loader does not support ${opName}${detail ? ` (${detail})` : ''}. This happens in Secure Download Mode or with an old ROM/stub.`);
    this.name = 'UnsupportedCommandError';
  }
}

/** No (complete) answer arrived before the deadline. */
export class LoaderTimeoutError extends Error {
  constructor(
    readonly opName: string,
    readonly timeoutMs: number,
    readonly gotBytes: boolean,
    readonly port: string,
  ) {
    super(
      gotBytes
        ? `Timed out after ${timeoutMs} ms waiting for the end of the ${opName} reply on ${port} (a packet started but never finished).`
        : `No serial data received for ${opName} within ${timeoutMs} ms on ${port}. The chip may have reset, the cable may be loose, or the baud rate is wrong.`,
    );
    this.name = 'LoaderTimeoutError';
  }
}

/** The user cancelled through the AbortSignal. */
export class CancelledError extends Error {
  constructor(what = 'Operation') {
    super(`${what} cancelled.`);
    this.name = 'CancelledError';
  }
}

export function isCancelled(e: unknown): e is CancelledError {
  return e instanceof CancelledError;
}

/** The chip printed a crash report ("Guru Meditation Error", "Fatal exception") between frames. */
export function crashTextIn(noise: string): string | undefined {
  const m = /(Guru Meditation Error[^\n]*|Fatal exception[^\n]*)/.exec(noise);
  return m?.[1];
}
