/**
 * Opens a "virtual:<chip>[:option=value…]" port: starts a virtual chip behind a pseudo-terminal
 * and opens its path with the real serialport binding. Registered with the core by the entry
 * points (setVirtualPortOpener); close() releases the port and stops the chip.
 */
import type { OpenedPort, OpenPortOptions } from '../core/transport/open_port';
import { openDevicePath } from '../core/transport/open_port';
import type { Transport } from '../core/transport/transport';
import { startPtyChip } from './pty_chip';
import { parseVirtualPortSpec } from './virtual_port_spec';

export async function openVirtualPort(port: string, baud: number, opts: OpenPortOptions): Promise<OpenedPort> {
  const spec = parseVirtualPortSpec(port);
  if (!spec) throw new Error(`"${port}" is not a virtual port spec; use virtual:<chip>[:option=value…].`);
  const started = await startPtyChip(spec);
  let transport: Transport;
  try {
    // openDevicePath adds the chip's DTR/RTS side channel (resetlines) where the spec asks for one.
    transport = await openDevicePath(started.path, baud, `${port.trim()} (${started.path})`);
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
