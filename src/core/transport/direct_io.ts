/**
 * Reads and writes of a serial port straight from the event loop (Linux, macOS).
 *
 * @serialport/bindings-cpp reads and writes the port's non-blocking descriptor with fs.read /
 * fs.write, each a round trip through libuv's thread pool: when a reply arrives, the poller
 * wakes the event loop, a pool thread reads it, the event loop gets it back; the next frame
 * goes out through a pool thread again. In the ROM loader's stop-and-wait (one 1 KiB block per
 * reply) those hops are most of the host's turnaround, and they grow when the pool or the CPU
 * is busy. On a non-blocking descriptor read(2) and write(2) never wait, so they are made
 * directly: the binding's own read/write loops (unixRead, unixWrite: EAGAIN → wait for the
 * poller, partial writes, disconnect errors) are kept, only their fs call is synchronous.
 *
 * Those loops are not part of bindings-cpp's public API (they live in its dist/unix-read and
 * dist/unix-write files, bindings-cpp 13). They are looked up the first time a port opens, never
 * at import: when a release moves or changes them, ports keep the binding's own read and write
 * (the thread-pool path, slower but correct) and the reason is noted once in Node's debug log
 * (NODE_DEBUG=esp-flasher).
 */
import { readSync, writeSync } from 'node:fs';
import { debuglog } from 'node:util';

/** What is used of a Linux/macOS binding port (its writeOperation is private in the typings). */
interface UnixBinding {
  fd: number | null;
  isOpen: boolean;
  poller?: unknown;
  writeOperation: Promise<void> | null;
  read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }>;
  write(buffer: Buffer): Promise<void>;
  __espFlasherDirect?: boolean;
}

type ReadFn = (fd: number, buffer: Buffer, offset: number, length: number, position: number | null) => Promise<{ bytesRead: number; buffer: Buffer }>;
type WriteFn = (fd: number, buffer: Buffer, offset: number, length: number) => Promise<{ bytesWritten: number; buffer: Buffer }>;

/** bindings-cpp's read and write loops, as its version 13 declares them. */
export interface UnixIoHelpers {
  unixRead(o: { binding: unknown; buffer: Buffer; offset: number; length: number; fsReadAsync?: ReadFn }): Promise<{ buffer: Buffer; bytesRead: number }>;
  unixWrite(o: { binding: unknown; buffer: Buffer; offset?: number; fsWriteAsync?: WriteFn }): Promise<void>;
}

/** Finds the helpers: returns what it found (checked by the caller), why they could not be loaded, or throws. */
export type UnixIoResolver = () => { unixRead?: unknown; unixWrite?: unknown; loadError?: string } | undefined;

const UNIX_READ = '@serialport/bindings-cpp/dist/unix-read';
const UNIX_WRITE = '@serialport/bindings-cpp/dist/unix-write';

/**
 * The bindings-cpp files as this ESP Flasher was built against: static strings, so a bundler
 * takes them in; inside a try block, so a bundler that cannot find them leaves a require that
 * throws at run time instead of failing the build.
 */
const bindingsResolver: UnixIoResolver = () => {
  let r: { unixRead?: unknown } | undefined;
  let w: { unixWrite?: unknown } | undefined;
  try {
    /* eslint-disable @typescript-eslint/no-require-imports */
    r = require('@serialport/bindings-cpp/dist/unix-read') as typeof r;
    w = require('@serialport/bindings-cpp/dist/unix-write') as typeof w;
    /* eslint-enable @typescript-eslint/no-require-imports */
  } catch (e) {
    return { loadError: `${(e as Error)?.message ?? String(e)}`.split('\n')[0] };
  }
  return { unixRead: r?.unixRead, unixWrite: w?.unixWrite };
};

let resolver: UnixIoResolver = bindingsResolver;
let note: (message: string) => void = debuglog('esp-flasher');
/** The lookup's outcome, once made. */
let found: { helpers: UnixIoHelpers } | { problem: string } | undefined;
let noted = false;

/**
 * Tests: look the helpers up with `r` from now on (undefined: bindings-cpp's files), and note the
 * fallback through `log` (undefined: Node's debug log). Forgets an earlier lookup.
 */
export function setUnixIoResolver(r?: UnixIoResolver, log?: (message: string) => void): void {
  resolver = r ?? bindingsResolver;
  note = log ?? debuglog('esp-flasher');
  found = undefined;
  noted = false;
}

function lookUp(): { helpers: UnixIoHelpers } | { problem: string } {
  if (found) return found;
  try {
    const m = resolver();
    if (m?.loadError) return (found = { problem: loadProblem(m.loadError) });
    const missing = [typeof m?.unixRead !== 'function' ? `unixRead (${UNIX_READ})` : '', typeof m?.unixWrite !== 'function' ? `unixWrite (${UNIX_WRITE})` : '']
      .filter(Boolean)
      .join(' and ');
    found = missing ? { problem: `@serialport/bindings-cpp has no ${missing} function` } : { helpers: m as UnixIoHelpers };
  } catch (e) {
    found = { problem: loadProblem((e as Error)?.message ?? String(e)) };
  }
  return found;
}

function loadProblem(reason: string): string {
  return `@serialport/bindings-cpp's read/write helpers cannot be loaded (${reason})`;
}

/**
 * Why ports use the binding's own read and write instead of direct I/O, or undefined when direct
 * I/O is available (looks the helpers up if no port has yet).
 */
export function directIoUnavailable(): string | undefined {
  const f = lookUp();
  return 'problem' in f ? f.problem : undefined;
}

function again(): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error('EAGAIN');
  e.code = 'EAGAIN';
  return e;
}

const directRead: ReadFn = (fd, buffer, offset, length, position) => {
  try {
    const bytesRead = readSync(fd, buffer, offset, length, position);
    // 0 bytes: nothing to take now. unixRead would ask again at once (a loop that never
    // yields when the call is synchronous); waiting for the poller is what EAGAIN gets.
    if (bytesRead === 0) return Promise.reject(again());
    return Promise.resolve({ bytesRead, buffer });
  } catch (e) {
    return Promise.reject(e as Error);
  }
};

const directWrite: WriteFn = (fd, buffer, offset, length) => {
  try {
    return Promise.resolve({ bytesWritten: writeSync(fd, buffer, offset, length), buffer });
  } catch (e) {
    return Promise.reject(e as Error);
  }
};

/**
 * Make an open binding port (SerialPort's `.port`) read and write directly. Returns false where
 * it does not apply (Windows: no descriptor and no poller), was done already, or bindings-cpp's
 * helpers are not there (the port keeps the binding's own read and write; noted once).
 */
export function useDirectIo(bindingPort: unknown): boolean {
  const b = bindingPort as UnixBinding | undefined;
  if (!b || typeof b.fd !== 'number' || !b.poller || b.__espFlasherDirect) return false;
  const f = lookUp();
  if ('problem' in f) {
    if (!noted) {
      noted = true;
      note(`serial ports use the binding's own read and write (thread pool), not direct descriptor I/O: ${f.problem}`);
    }
    return false;
  }
  const { unixRead, unixWrite } = f.helpers;
  // A closed port is refused by unixRead/unixWrite themselves, as the binding's own methods do.
  b.read = async (buffer: Buffer, offset: number, length: number) => {
    return unixRead({ binding: b, buffer, offset, length, fsReadAsync: directRead });
  };
  b.write = async (buffer: Buffer) => {
    b.writeOperation = (async () => {
      if (buffer.length === 0) return;
      await unixWrite({ binding: b, buffer, fsWriteAsync: directWrite });
      b.writeOperation = null;
    })();
    return b.writeOperation;
  };
  b.__espFlasherDirect = true;
  return true;
}
