/**
 * The options every command that talks to a chip shares (--port, --baud, --chip, --before,
 * --after, --no-stub, --stub-dir, --trace) and their translation into the core's ConnectOptions.
 */
import { openSync, writeSync } from 'node:fs';
import { CHIP_NAMES, normalizeChipName, type ChipName } from '../core/chips';
import type { AfterReset, BeforeReset, ConnectOptions } from '../core/flash/api';
import { Options, UsageError, type OptionSpec } from './args';

export const BEFORE_CHOICES: readonly BeforeReset[] = ['default-reset', 'usb-reset', 'no-reset', 'no-reset-no-sync'];
export const AFTER_CHOICES: readonly AfterReset[] = ['hard-reset', 'no-reset', 'no-reset-stub'];

/** Environment variable read when --port is absent (the same one idf.py reads). */
export const PORT_ENV = 'ESPPORT';

export const CONNECT_OPTIONS: OptionSpec[] = [
  {
    name: 'port',
    short: 'p',
    kind: 'value',
    valueName: 'PORT',
    help: `Serial port (/dev/ttyUSB0, COM3) or virtual:<chip>[:option…] for a virtual chip; default $${PORT_ENV}`,
  },
  { name: 'baud', short: 'b', kind: 'value', valueName: 'BAUD', help: 'Baud rate for the transfer (default 460800)' },
  { name: 'chip', short: 'c', kind: 'value', valueName: 'CHIP', help: `Expected chip: auto (default), ${CHIP_NAMES.join(', ')}` },
  { name: 'before', kind: 'value', valueName: 'HOW', help: `Reset before connecting: ${BEFORE_CHOICES.join(', ')}` },
  { name: 'after', kind: 'value', valueName: 'HOW', help: `Reset afterwards: ${AFTER_CHOICES.join(', ')}` },
  { name: 'no-stub', kind: 'flag', help: 'Talk to the ROM loader; do not upload the flasher stub' },
  { name: 'stub-dir', kind: 'value', valueName: 'DIR', help: 'Folder of stub JSON files (esptool format) to use instead of the bundled ones (esp-flasher-stub from esptool-js)' },
  { name: 'trace', kind: 'value', valueName: 'FILE', help: 'Append every loader frame sent and received to FILE, with ms since the port opened (as esptool --trace)' },
  { name: 'debug', kind: 'flag', help: 'Print stack traces on errors' },
];

const MAX_BAUD = 8_000_000;

export function parseChipOption(text: string | undefined): ChipName | 'auto' {
  if (text === undefined || text.toLowerCase() === 'auto') return 'auto';
  const chip = normalizeChipName(text);
  if (!chip) throw new UsageError(`--chip: "${text}" is not a known chip. Use auto or one of: ${CHIP_NAMES.join(', ')}.`);
  return chip;
}

export function connectOptionsFrom(o: Options, env: NodeJS.ProcessEnv = process.env): ConnectOptions {
  const port = o.string('port') ?? env[PORT_ENV];
  if (!port) {
    throw new UsageError(`No serial port given: add --port /dev/ttyUSB0 (COM3 on Windows), set $${PORT_ENV}, or try --port virtual:esp32c3 for a virtual chip.`, o.command);
  }
  const baud = o.number('baud');
  if (baud !== undefined && (baud < 300 || baud > MAX_BAUD)) {
    throw new UsageError(`--baud: ${baud} is outside 300…${MAX_BAUD}. Common rates: 115200, 460800, 921600.`, o.command);
  }
  const options: ConnectOptions = { port, chip: parseChipOption(o.string('chip')) };
  if (baud !== undefined) options.baud = baud;
  const before = o.choice('before', BEFORE_CHOICES);
  if (before) options.before = before;
  const after = o.choice('after', AFTER_CHOICES);
  if (after) options.after = after;
  if (o.has('no-stub')) options.stub = false;
  const stubDir = o.string('stub-dir');
  if (stubDir) options.stubDir = stubDir;
  const trace = o.string('trace');
  if (trace) options.trace = traceToFile(trace, o.command);
  return options;
}

/**
 * --trace FILE: opened for appending now (a usage error, not a failure mid-job), then one line per
 * call on that descriptor (no open/close per frame); the process's exit closes it.
 */
function traceToFile(file: string, command: string | undefined): (line: string) => void {
  let fd: number;
  try {
    fd = openSync(file, 'a');
  } catch (e) {
    throw new UsageError(`--trace: cannot write ${file}: ${(e as Error).message}. Give a file in a folder that exists and is writable.`, command);
  }
  return (line) => writeSync(fd, line + '\n');
}
