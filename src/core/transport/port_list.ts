/**
 * The serial devices present now, with what identifies a device across a replug: USB serial
 * number, VID:PID and USB location (serialport's list()). Virtual chips (src/sim) add their
 * pseudo-terminals here, with the same identity fields, so the monitor treats them alike.
 */
import * as fs from 'node:fs';
import { SerialPort } from 'serialport';

export interface PortEntry {
  path: string;
  serialNumber?: string;
  vendorId?: string;
  productId?: string;
  locationId?: string;
  /** Virtual chips: DTR/RTS reach the chip this way (a pseudo-terminal has no modem lines). */
  setLines?: (signals: { dtr?: boolean; rts?: boolean }) => void;
  /** Virtual chips: the chip object behind the path. */
  virtualChip?: unknown;
}

/** What the monitor remembers of a device to find it again after it went away. */
export interface DeviceIdentity {
  path: string;
  serialNumber?: string;
  vendorId?: string;
  productId?: string;
  locationId?: string;
}

const LIST_TIMEOUT_MS = 2000;
const extra = new Set<PortEntry>();

/** Add a device to the list (virtual chips); returns the function that removes it. */
export function registerExtraPort(e: PortEntry): () => void {
  extra.add(e);
  return () => extra.delete(e);
}

export function extraPort(path: string): PortEntry | undefined {
  for (const e of extra) if (e.path === path) return e;
  return undefined;
}

/** serialport's list (bounded in time) plus the registered virtual devices. */
export async function listPorts(): Promise<PortEntry[]> {
  let timer: NodeJS.Timeout | undefined;
  let real: PortEntry[] = [];
  try {
    real = await Promise.race([
      SerialPort.list(),
      new Promise<PortEntry[]>((resolve) => {
        timer = setTimeout(() => resolve([]), LIST_TIMEOUT_MS);
      }),
    ]);
  } catch {
    real = [];
  } finally {
    clearTimeout(timer);
  }
  return [...real.map((p) => ({ path: p.path, serialNumber: p.serialNumber, vendorId: p.vendorId, productId: p.productId, locationId: p.locationId })), ...extra];
}

function realPath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

/** What identifies the device at `path` (a symlink such as /dev/serial/by-id/… is followed). */
export function identityOf(path: string, list: PortEntry[]): DeviceIdentity {
  const real = realPath(path);
  const e = list.find((p) => p.path === path) ?? list.find((p) => realPath(p.path) === real);
  return { path, serialNumber: e?.serialNumber, vendorId: e?.vendorId?.toLowerCase(), productId: e?.productId?.toLowerCase(), locationId: e?.locationId };
}

export function describeIdentity(id: DeviceIdentity): string {
  const parts: string[] = [];
  if (id.vendorId && id.productId) parts.push(`USB ${id.vendorId}:${id.productId}`);
  if (id.serialNumber) parts.push(`serial ${id.serialNumber}`);
  if (id.locationId) parts.push(`at ${id.locationId}`);
  return parts.length ? `${id.path} (${parts.join(', ')})` : id.path;
}

/**
 * The entry that is the same device as `id`: the same USB serial number (and VID:PID) wherever
 * it is now; without a serial number, the same VID:PID at the same USB location; a device with
 * no USB identity at all only by its path. Never a different device that took the old path.
 */
export function findSameDevice(id: DeviceIdentity, list: PortEntry[]): PortEntry | undefined {
  const vidpid = (e: PortEntry): boolean => !id.vendorId || (e.vendorId?.toLowerCase() === id.vendorId && e.productId?.toLowerCase() === id.productId);
  if (id.serialNumber) {
    const same = list.filter((e) => e.serialNumber === id.serialNumber && vidpid(e));
    return same.find((e) => e.path === id.path) ?? same[0];
  }
  if (id.vendorId && id.locationId) return list.find((e) => vidpid(e) && e.locationId === id.locationId);
  if (id.vendorId) return list.find((e) => e.path === id.path && vidpid(e) && !e.serialNumber);
  return list.find((e) => e.path === id.path && !e.serialNumber && !e.vendorId);
}
