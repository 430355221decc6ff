/**
 * A bare Transport over the real `serialport` binding, for the pseudo-terminal device tests
 * (deliberately not the host's serial transport: the virtual chip is tested on its own).
 */
import { SerialPort } from 'serialport';
import type { Transport } from '../../../src/core/transport/transport';

export async function openSerialTestTransport(path: string, baudRate = 115200): Promise<Transport & { port: SerialPort }> {
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
  let rx: Buffer[] = [];
  let wake: (() => void) | undefined;
  // A failed write reaches the caller through its callback (below); the stream then also emits
  // 'error', which without a listener is an uncaught exception — seen as "Uncaught Error: EIO"
  // when the disconnect test's write lost the race with serialport noticing the hang-up.
  port.on('error', () => undefined);
  port.on('data', (d: Buffer) => {
    rx.push(d);
    wake?.();
  });
  const t: Transport & { port: SerialPort } = {
    port,
    name: path,
    get baudRate() {
      return port.baudRate;
    },
    async write(data) {
      // The write callback fires once the binding has written the bytes to the pty. No drain: tcdrain on a
      // pty whose far end went away can block for good (seen: 1 run in ~20 of the disconnect test), or fail
      // with EIO after the write itself succeeded — the product's transport does not drain either.
      await new Promise<void>((res, rej) => port.write(Buffer.from(data), (e) => (e ? rej(e) : res())));
    },
    async read(timeoutMs) {
      if (rx.length === 0) {
        await new Promise<void>((res) => {
          const timer = setTimeout(() => {
            wake = undefined;
            res();
          }, timeoutMs);
          wake = () => {
            clearTimeout(timer);
            wake = undefined;
            res();
          };
        });
      }
      const out = new Uint8Array(Buffer.concat(rx));
      rx = [];
      return out;
    },
    async flushInput() {
      rx = [];
    },
    async setSignals(s) {
      await new Promise<void>((res, rej) =>
        port.set({ ...(s.dtr !== undefined ? { dtr: s.dtr } : {}), ...(s.rts !== undefined ? { rts: s.rts } : {}) }, (e) => (e ? rej(e) : res())),
      );
    },
    async setBaudRate(b) {
      await new Promise<void>((res, rej) => port.update({ baudRate: b }, (e) => (e ? rej(e) : res())));
    },
    async close() {
      if (port.isOpen) await new Promise<void>((res) => port.close(() => res()));
    },
  };
  return t;
}

export function socatInstalled(): boolean {
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  return spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;
}

/** Whether a process (socat) is still running. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
