/**
 * Open a port by name: a serial device path, or "virtual:<chip>[:option=value…]", opened by the
 * virtual-port opener an entry point registered (virtual_port_registry.ts; the core never
 * imports src/sim). close() releases the port (and stops a virtual chip).
 */
import { InputError } from '../errors';
import { SerialTransport } from './serial_transport';
import { virtualPortOpener } from './virtual_port_registry';
import type { Transport } from './transport';

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
}

export function isVirtualPort(port: string): boolean {
  return /^\s*virtual:/i.test(port);
}

export async function openTransport(port: string, baud = ESP_ROM_BAUD, opts: OpenPortOptions = {}): Promise<OpenedPort> {
  if (!isVirtualPort(port)) {
    const transport = await SerialTransport.open(port, baud);
    return { transport, close: () => transport.close() };
  }
  const open = virtualPortOpener();
  if (!open) {
    throw new InputError(`"${port.trim()}" is a virtual port, but virtual chips are not available here (no virtual-port opener registered). Give a serial device path.`, { setting: 'port' });
  }
  return open(port, baud, opts);
}
