/**
 * Open a port by name: a serial device path, or "virtual:<chip>[:option=value…]", opened by the
 * virtual-port opener an entry point registered (virtual_port_registry.ts; the core never
 * imports src/sim). close() releases the port (and stops a virtual chip).
 */
import { InputError } from '../errors';
import { SerialTransport } from './serial_transport';
import { virtualPortOpener } from './virtual_port_registry';
import type { Transport } from './transport';
import { claimPort, holderOf, PortBusyError } from './port_owners';
import { extraPort } from './port_list';
import { SideChannelLines } from './side_channel_lines';

export const ESP_ROM_BAUD = 115200;

/** The virtual chip behind a "virtual:" port (src/sim VirtualChip); typed loosely to keep core free of sim types. */
export type VirtualChipHandle = unknown;

export interface OpenedPort {
  transport: Transport;
  /** The virtual chip when the port is "virtual:…". */
  virtualChip?: VirtualChipHandle;
  close(): Promise<void>;
}

export interface OpenPortOptions {
  /** Called with the VirtualChip as soon as a "virtual:" port has started it. */
  onVirtualChip?: (chip: VirtualChipHandle) => void;
  /** Who opens it, for the busy message another opener gets (default "a flash job"). */
  purpose?: string;
}

export function isVirtualPort(port: string): boolean {
  return /^\s*virtual:/i.test(port);
}

/**
 * Open `port` for this process's one owner of it. When the serial monitor holds the port, it
 * pauses and lends its open transport (close() hands it back and the monitor resumes); any
 * other holder makes this throw PortBusyError naming it.
 */
export async function openTransport(port: string, baud = ESP_ROM_BAUD, opts: OpenPortOptions = {}): Promise<OpenedPort> {
  const purpose = opts.purpose ?? 'a flash job';
  const holder = holderOf(port);
  if (holder?.lend) {
    const loan = await holder.lend(purpose, baud);
    if (loan.virtualChip !== undefined) opts.onVirtualChip?.(loan.virtualChip);
    return { transport: loan.transport, virtualChip: loan.virtualChip, close: () => loan.giveBack() };
  }
  if (holder) throw new PortBusyError(port, holder.who, `${purpose} can use it`, holder.since);
  // Each opening of a "virtual:" spec starts a chip of its own: only a device path has one owner.
  if (isVirtualPort(port)) return openUnowned(port, baud, opts);
  const release = claimPort(port, { who: purpose, since: Date.now() });
  try {
    const opened = await openUnowned(port, baud, opts);
    return {
      ...opened,
      async close() {
        try {
          await opened.close();
        } finally {
          release();
        }
      },
    };
  } catch (e) {
    release();
    throw e;
  }
}

/** A device path opened with the real binding; virtual chips' paths get their DTR/RTS side channel. */
export async function openDevicePath(path: string, baud: number, displayName = path): Promise<Transport> {
  const t = await SerialTransport.open(path, baud, displayName);
  const e = extraPort(path);
  return e?.setLines
    ? new SideChannelLines(t, e.setLines, e.vendorId && e.productId ? { vendorId: parseInt(e.vendorId, 16), productId: parseInt(e.productId, 16) } : undefined)
    : t;
}

/** Open without the ownership rule (the monitor claims on its own). */
export async function openUnowned(port: string, baud = ESP_ROM_BAUD, opts: OpenPortOptions = {}): Promise<OpenedPort> {
  if (!isVirtualPort(port)) {
    const transport = await openDevicePath(port, baud);
    return { transport, close: () => transport.close() };
  }
  const open = virtualPortOpener();
  if (!open) {
    throw new InputError(`"${port.trim()}" is a virtual port, but virtual chips are not available here (no virtual-port opener registered). Give a serial device path.`, {
      setting: 'port',
    });
  }
  return open(port, baud, opts);
}
