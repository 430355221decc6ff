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
 */
import { readSync, writeSync } from 'node:fs';
import { unixRead } from '@serialport/bindings-cpp/dist/unix-read';
import { unixWrite } from '@serialport/bindings-cpp/dist/unix-write';

type Binding = Parameters<typeof unixRead>[0]['binding'];

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

function again(): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error('EAGAIN');
  e.code = 'EAGAIN';
  return e;
}

const directRead = ((fd: number, buffer: Buffer, offset: number, length: number, position: number | null) => {
  try {
    const bytesRead = readSync(fd, buffer, offset, length, position);
    // 0 bytes: nothing to take now. unixRead would ask again at once (a loop that never
    // yields when the call is synchronous); waiting for the poller is what EAGAIN gets.
    if (bytesRead === 0) return Promise.reject(again());
    return Promise.resolve({ bytesRead, buffer });
  } catch (e) {
    return Promise.reject(e as Error);
  }
}) as NonNullable<Parameters<typeof unixRead>[0]['fsReadAsync']>;

const directWrite = ((fd: number, buffer: Buffer, offset: number, length: number) => {
  try {
    return Promise.resolve({ bytesWritten: writeSync(fd, buffer, offset, length), buffer });
  } catch (e) {
    return Promise.reject(e as Error);
  }
}) as NonNullable<Parameters<typeof unixWrite>[0]['fsWriteAsync']>;

/**
 * Make an open binding port (SerialPort's `.port`) read and write directly. Returns false where
 * it does not apply (Windows: no descriptor and no poller) or was done already.
 */
export function useDirectIo(bindingPort: unknown): boolean {
  const b = bindingPort as UnixBinding | undefined;
  if (!b || typeof b.fd !== 'number' || !b.poller || b.__espFlasherDirect) return false;
  // A closed port is refused by unixRead/unixWrite themselves, as the binding's own methods do.
  b.read = async (buffer: Buffer, offset: number, length: number) => {
    return unixRead({ binding: b as unknown as Binding, buffer, offset, length, fsReadAsync: directRead });
  };
  b.write = async (buffer: Buffer) => {
    b.writeOperation = (async () => {
      if (buffer.length === 0) return;
      await unixWrite({ binding: b as unknown as Binding, buffer, fsWriteAsync: directWrite });
      b.writeOperation = null;
    })();
    return b.writeOperation;
  };
  b.__espFlasherDirect = true;
  return true;
}
