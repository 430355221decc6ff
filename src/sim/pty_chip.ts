/**
 * A virtual chip reachable as a real serial device path: socat links two pseudo-terminals,
 * the chip owns one end (opened with Node's tty streams: event-loop I/O that a busy thread
 * pool cannot stall), the host gets the other path and opens it with the real serialport
 * binding.
 * A pty has no DTR/RTS (the host's reset-line ioctls fail with "Inappropriate ioctl for
 * device") and no line speed, so by default the chip starts in download mode and baud
 * mismatches are not modelled; the timing model still paces bytes at the chip's own baud.
 * With `resetLines` the chip's DTR/RTS are reached beside the pty instead: the device is listed
 * (core/transport/port_list.ts) with a line setter that the host's transport uses.
 * The device can be unplugged and plugged back (a new pty pair, a new path, the same USB
 * identity); a USB-Serial/JTAG chip does that by itself on every reset into its app.
 */
import { registerExtraPort, type PortEntry } from '../core/transport/port_list';
import { openPtyEndpoint, openPtyPair, PtyEndpoint, PtyPair } from './pty_link';
import { VirtualChip, VirtualChipOptions } from './virtual_chip';

export interface PtyChip {
  /** Serial device path for the host (a symlink to /dev/pts/N); changes after a replug. */
  readonly path: string;
  /** The /dev/pts/N device behind `path`. */
  readonly ptsPath: string;
  chip: VirtualChip;
  /** The USB identity the device is listed with. */
  readonly entry: PortEntry;
  /** Pull the cable: the host's port goes away; chip output is held until replug. */
  unplug(): Promise<void>;
  /** Plug it back: a new pseudo-terminal pair (a new path), the same identity. */
  replug(): Promise<void>;
  readonly plugged: boolean;
  /** Close the chip, its port end, and socat. Safe to call twice. */
  close(): Promise<void>;
}

let nextLocation = 1;
const RE_ENUMERATE_MS = 150;
const HELD_OUTPUT_LIMIT = 256 * 1024;

export async function startPtyChip(opts: VirtualChipOptions): Promise<PtyChip> {
  const chip = new VirtualChip({ ...opts, resetLines: opts.resetLines ?? false });
  const location = `virtual-${process.pid}-${nextLocation++}`;
  const usb = opts.usbJtag ? { vendorId: '303a', productId: '1001' } : { vendorId: '10c4', productId: 'ea60' };
  let pair: PtyPair | undefined;
  let end: PtyEndpoint | undefined;
  let held: Uint8Array[] = [];
  let heldBytes = 0;
  let closed = false;
  /** Unplugged (or about to be): output waits for the next attach. */
  let holding = false;

  const attach = async (waitHost = false): Promise<void> => {
    const newPair = await openPtyPair('socat', { waitHost });
    let newEnd: PtyEndpoint;
    try {
      newEnd = openPtyEndpoint(newPair.chipPath);
    } catch (e) {
      await newPair.close();
      throw e;
    }
    newEnd.onData((d) => chip.fromHost(d));
    pair = newPair;
    end = newEnd;
    entry.path = newPair.hostPath;
    for (const b of held) newEnd.write(b);
    held = [];
    heldBytes = 0;
    holding = false;
  };
  const detach = async (): Promise<void> => {
    const p = end;
    const link = pair;
    end = undefined;
    pair = undefined;
    await p?.close();
    await link?.close();
  };

  const entry: PortEntry = {
    path: '',
    serialNumber: Buffer.from(chip.mac).toString('hex'),
    ...usb,
    locationId: location,
    virtualChip: chip,
    setLines: opts.resetLines ? (s) => chip.setSignals(s, entry.path) : undefined,
  };
  try {
    await attach();
  } catch (e) {
    chip.close();
    throw new Error(`Cannot start the virtual serial port: ${(e as Error).message}`);
  }
  const unregister = registerExtraPort(entry);
  chip.attachHost((bytes) => {
    if (end?.isOpen && !holding) end.write(bytes);
    else if (!closed && heldBytes < HELD_OUTPUT_LIMIT) {
      held.push(bytes);
      heldBytes += bytes.length;
    }
  });
  // A disconnect fault takes the whole link down, like pulling the USB cable.
  chip.onDisconnect(() => {
    void detach();
  });
  let plugging: Promise<void> = Promise.resolve();
  const unplug = (): Promise<void> => {
    holding = true;
    return (plugging = plugging.then(detach));
  };
  // Back after a replug: bytes wait in the pty until the host opens the new path.
  const replug = (): Promise<void> => (plugging = plugging.then(() => (closed || end ? undefined : attach(true))));
  if (opts.usbJtag) {
    // The USB-Serial/JTAG peripheral resets with the chip: the host sees the device leave and
    // come back (re-enumerate) on a reset into the app.
    chip.onBoot((into) => {
      if (into !== 'firmware' || closed) return;
      void unplug();
      setTimeout(() => void replug(), RE_ENUMERATE_MS).unref();
    });
  }

  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    closed = true;
    unregister();
    chip.close();
    await plugging.catch(() => undefined);
    await detach();
  };
  return {
    get path() {
      return entry.path;
    },
    get ptsPath() {
      return pair?.hostPts ?? '';
    },
    chip,
    entry,
    unplug,
    replug,
    get plugged() {
      return end !== undefined;
    },
    close: () => (closing ??= close()),
  };
}
