/**
 * A virtual chip reachable as a real serial device path: socat links two pseudo-terminals,
 * the chip owns one end (opened with Node's tty streams: event-loop I/O that a busy thread
 * pool cannot stall), the host gets the other path and opens it with the real serialport
 * binding.
 * A pty has no DTR/RTS (the host's reset-line ioctls fail with "Inappropriate ioctl for
 * device") and no line speed, so the chip starts in download mode and baud mismatches are
 * not modelled; the timing model still paces bytes at the chip's own baud.
 */
import { openPtyEndpoint, openPtyPair, PtyEndpoint, PtyPair } from './pty_link';
import { VirtualChip, VirtualChipOptions } from './virtual_chip';

export interface PtyChip {
  /** Serial device path for the host (a symlink to /dev/pts/N). */
  path: string;
  /** The /dev/pts/N device behind `path`. */
  ptsPath: string;
  chip: VirtualChip;
  /** Close the chip, its port end, and socat. Safe to call twice. */
  close(): Promise<void>;
}

export async function startPtyChip(opts: VirtualChipOptions): Promise<PtyChip> {
  const chip = new VirtualChip({ ...opts, resetLines: false });
  let pair: PtyPair | undefined;
  let end: PtyEndpoint | undefined;
  try {
    pair = await openPtyPair();
    end = openPtyEndpoint(pair.chipPath);
  } catch (e) {
    chip.close();
    await pair?.close();
    throw new Error(`Cannot start the virtual serial port: ${(e as Error).message}`);
  }
  const p = end;
  const link = pair;
  p.onData((d) => {
    chip.fromHost(d);
  });
  chip.attachHost((bytes) => p.write(bytes));
  // A disconnect fault takes the whole link down, like pulling the USB cable.
  chip.onDisconnect(() => {
    void p.close().then(() => link.close());
  });

  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    chip.close();
    await p.close();
    await link.close();
  };
  return { path: link.hostPath, ptsPath: link.hostPts, chip, close: () => (closing ??= close()) };
}
