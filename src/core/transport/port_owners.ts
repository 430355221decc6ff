/**
 * One owner per port in this process. Whoever opens a port (the flasher through openTransport,
 * the serial monitor) claims it here. An owner that can lend its open port (the monitor) is
 * asked to pause and hand its transport over; anyone else asking gets a PortBusyError that
 * names the holder.
 */
import * as fs from 'node:fs';
import type { Transport } from './transport';

export interface PortLoan {
  transport: Transport;
  /** The virtual chip behind a "virtual:" port, when there is one. */
  virtualChip?: unknown;
  /** Hand the port back (the lender resumes). */
  giveBack(): Promise<void>;
}

export interface PortHolder {
  /** Who holds it, for messages ("the serial monitor", "a flash job"). */
  readonly who: string;
  readonly since: number;
  /** Pause and lend the open port to `borrower`; absent when the holder cannot lend. */
  lend?(borrower: string, baud?: number): Promise<PortLoan>;
}

export class PortBusyError extends Error {
  constructor(
    readonly port: string,
    readonly holder: string,
    wanted: string,
    since = Date.now(),
  ) {
    super(
      `Serial port ${port} is busy: ${holder} in this program holds it (since ${new Date(since).toTimeString().slice(0, 8)}). Stop it, or wait for it to finish, before ${wanted}.`,
    );
    this.name = 'PortBusyError';
  }
}

/**
 * Same port, different spellings: COM3 = com3, virtual specs ignore case and spaces, a device
 * path and a symlink to it (/dev/serial/by-id/…, a virtual chip's link) are one port.
 */
export function portKey(port: string): string {
  const p = port.trim();
  if (/^com\d+$/i.test(p) || /^virtual:/i.test(p)) return p.toLowerCase();
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

const holders = new Map<string, PortHolder>();

export function holderOf(port: string): PortHolder | undefined {
  return holders.get(portKey(port));
}

/** Claim `port` for `holder`; returns the release function. Throws PortBusyError when held. */
export function claimPort(port: string, holder: PortHolder, wanted = 'opening it'): () => void {
  const key = portKey(port);
  const current = holders.get(key);
  if (current) throw new PortBusyError(port, current.who, wanted, current.since);
  holders.set(key, holder);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (holders.get(key) === holder) holders.delete(key);
  };
}

/** Ports held now (diagnostics, tests). */
export function heldPorts(): { port: string; who: string }[] {
  return [...holders.entries()].map(([port, h]) => ({ port, who: h.who }));
}
