import type { PortLister } from '../core/line/port_selection';

/**
 * What a command gets besides its arguments: where to print, whether stdout is a terminal,
 * and a signal that Ctrl-C aborts. Commands of other engineers take only (args, out); ours
 * take this as an optional third parameter so they still fit the same table.
 */
export interface CliContext {
  /** Errors and warnings (stderr). */
  err: (line: string) => void;
  /** Raw writes without a newline (in-place progress on a terminal). */
  rawWrite?: (text: string) => void;
  /** stdout is a terminal: progress redraws one line. */
  tty: boolean;
  /** Aborted on Ctrl-C; the core releases the port and reports what was written. */
  signal?: AbortSignal;
  /** Print stack traces and protocol detail. */
  debug: boolean;
  /** Lists serial ports for `flash --ports`/`--watch` (default: serialport's list; tests inject one). */
  listPorts?: PortLister;
}

export type OutFn = (line: string) => void;

/** The shape every `esp-flasher <command>` module exports. */
export interface CommandModule {
  run(args: string[], out: OutFn, ctx?: CliContext): Promise<number>;
  usage: string | (() => string);
}

export function defaultContext(out: OutFn): CliContext {
  return { err: out, tty: false, debug: false };
}
