/**
 * Open a port by name: a serial device path, or "virtual:<chip>[:option=value…]", which starts a
 * virtual chip behind a pseudo-terminal (src/sim) and opens its path with the real serialport
 * binding. close() releases the port and stops the virtual chip.
 */
import { SerialTransport } from './serial_transport';
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
  // Loaded only when a virtual port is asked for.
  const { startPtyChip } = await import('../../sim/pty_chip');
  const { parseVirtualPortSpec } = await import('../../sim/virtual_port_spec');
  const spec = parseVirtualPortSpec(port);
  if (!spec) throw new Error(`"${port}" is not a virtual port spec; use virtual:<chip>[:option=value…].`);
  const started = await startPtyChip(spec);
  let transport: SerialTransport;
  try {
    transport = await SerialTransport.open(started.path, baud, `${port.trim()} (${started.path})`);
  } catch (e) {
    await started.close();
    throw e;
  }
  opts.onVirtualChip?.(started.chip);
  return {
    transport,
    virtualChip: started.chip,
    async close() {
      try {
        await transport.close();
      } finally {
        await started.close();
      }
    },
  };
}
