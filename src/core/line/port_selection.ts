/**
 * Which ports a production-line run flashes: explicit ports (each may carry its own baud,
 * "PORT@BAUD"), "auto" (every known ESP USB bridge present) and globs over the listed ports.
 * Bad selections are typed errors that name what to fix; nothing is opened here.
 */
import * as fs from 'node:fs';
import { bridgeOf, type ListedPort } from '../transport/usb_bridges';
import { isVirtualPort } from '../transport/open_port';

/** Lists the serial ports present (SerialPort.list() by default; tests inject their own). */
export type PortLister = () => Promise<ListedPort[]>;

export const LIST_PORTS_TIMEOUT_MS = 5000;

/** The real lister: serialport's list(), bounded by a deadline. */
export const listSerialPorts: PortLister = async () => {
  const { SerialPort } = await import('serialport');
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      SerialPort.list() as Promise<ListedPort[]>,
      new Promise<ListedPort[]>((_, reject) => {
        timer = setTimeout(
          () => reject(new PortSelectionError(`Listing the serial ports took longer than ${LIST_PORTS_TIMEOUT_MS / 1000} s; name the ports one by one instead.`, 'list-timeout')),
          LIST_PORTS_TIMEOUT_MS,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
};

/** One device slot on the line. */
export interface LinePort {
  /** Path (or virtual:… spec) to open. */
  port: string;
  /** Baud for this port ("PORT@BAUD"); else the run's. */
  baud?: number;
  /** USB serial number, when the OS lists one. */
  usbSerial?: string;
  /** USB location (hub/port path) or PnP id, when listed. */
  usbLocation?: string;
  /** Known ESP bridge name ("Silicon Labs CP210x"). */
  bridge?: string;
}

/**
 * A selection the user must fix (duplicate port, pattern matching nothing, none given). The
 * message names no face's option: the CLI adds its flags by `reason`, the editor its own words.
 */
export class PortSelectionError extends Error {
  constructor(
    message: string,
    readonly reason: 'list-timeout' | 'no-match' | 'none-given' | 'duplicate' | 'bad-baud',
    /** The pattern that matched nothing ('auto' or a glob). */
    readonly pattern?: string,
  ) {
    super(message);
    this.name = 'PortSelectionError';
  }
}

export interface PortSelection {
  /** --port values, in order (each "PORT" or "PORT@BAUD"). */
  ports: string[];
  /** --ports values: "auto" or a glob such as /dev/ttyUSB*. */
  patterns: string[];
}

const MIN_BAUD = 300;
const MAX_BAUD = 8_000_000;

/** "PORT@BAUD" → { port, baud }; a plain port stays as it is. */
export function splitPortBaud(text: string): { port: string; baud?: number } {
  const m = /^(.+)@(\d+)$/.exec(text.trim());
  if (!m) return { port: text.trim() };
  const baud = Number(m[2]);
  if (baud < MIN_BAUD || baud > MAX_BAUD)
    throw new PortSelectionError(`${text}: baud ${baud} is outside ${MIN_BAUD}…${MAX_BAUD}. Common rates: 115200, 460800, 921600.`, 'bad-baud');
  return { port: m[1], baud };
}

export function hasGlob(text: string): boolean {
  return /[*?[]/.test(text);
}

/** A shell-style glob (*, ?, [abc], [a-z], [!x]) as an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, end);
      if (body.startsWith('!')) body = '^' + body.slice(1);
      re += '[' + body.replace(/\\/g, '\\\\') + ']';
      i = end;
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, process.platform === 'win32' ? 'i' : '');
}

/** The key two names of one device share: COM ports case-insensitively, device paths through their symlinks. */
export function portIdentity(port: string): string {
  if (/^com\d+$/i.test(port)) return port.toUpperCase();
  if (isVirtualPort(port)) return port.trim();
  try {
    return fs.realpathSync(port);
  } catch {
    return port;
  }
}

function fromListing(p: ListedPort, baud?: number): LinePort {
  const lp: LinePort = { port: p.path };
  if (baud !== undefined) lp.baud = baud;
  if (p.serialNumber) lp.usbSerial = p.serialNumber;
  const location = p.locationId || p.pnpId;
  if (location) lp.usbLocation = location;
  const bridge = bridgeOf(p);
  if (bridge) lp.bridge = bridge.name;
  return lp;
}

/** Listed ports a pattern picks: "auto" = known ESP bridges; else the glob over the listed paths. */
export function matchPattern(pattern: string, listed: ListedPort[]): ListedPort[] {
  if (pattern.trim().toLowerCase() === 'auto') return listed.filter((p) => bridgeOf(p));
  const re = globToRegExp(pattern.trim());
  return listed.filter((p) => re.test(p.path));
}

/**
 * The ports to flash, in the order given (patterns' matches sorted by path). Throws
 * PortSelectionError for the same port twice, a pattern matching nothing, or no port at all.
 */
export async function selectPorts(sel: PortSelection, list: PortLister = listSerialPorts): Promise<LinePort[]> {
  const needList = sel.patterns.length > 0 || sel.ports.some((p) => !isVirtualPort(p));
  let listed: ListedPort[] = [];
  if (needList) {
    try {
      listed = await list();
    } catch (e) {
      if (sel.patterns.length) throw e;
      // Explicit ports only: the listing just adds USB details.
    }
  }
  const chosen: LinePort[] = [];
  for (const text of sel.ports) {
    const { port, baud } = splitPortBaud(text);
    const hit = listed.find((p) => p.path === port);
    chosen.push(hit ? fromListing(hit, baud) : baud !== undefined ? { port, baud } : { port });
  }
  for (const pattern of sel.patterns) {
    const { port: glob, baud } = splitPortBaud(pattern);
    const hits = matchPattern(glob, listed).sort((a, b) => a.path.localeCompare(b.path, undefined, { numeric: true }));
    if (hits.length === 0) {
      const what =
        glob.toLowerCase() === 'auto' ? 'No known ESP USB bridge (CP210x, CH340/CH9102, FTDI, Espressif USB) is plugged in' : `The port pattern ${glob} matches no serial port`;
      const present = listed.length ? ` Ports present: ${listed.map((p) => p.path).join(', ')}.` : ' No serial ports are listed at all.';
      throw new PortSelectionError(`${what}.${present} Check the cables, or name the ports one by one.`, 'no-match', glob);
    }
    chosen.push(...hits.map((h) => fromListing(h, baud)));
  }
  if (chosen.length === 0) throw new PortSelectionError('No port given.', 'none-given');
  const seen = new Map<string, string>();
  for (const c of chosen) {
    const id = portIdentity(c.port);
    const first = seen.get(id);
    if (first !== undefined) {
      const same = first === c.port ? `${c.port} is given twice` : `${first} and ${c.port} are the same device (${id})`;
      const hint = isVirtualPort(c.port) ? ' (two virtual chips need distinct specs, e.g. add :mac=… to one)' : '';
      throw new PortSelectionError(`${same}${hint}: each device can be flashed by one job only. Remove the duplicate (a port pattern may already include it).`, 'duplicate');
    }
    seen.set(id, c.port);
  }
  return chosen;
}
