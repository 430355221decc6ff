/**
 * USB serial bridges that ESP boards carry, by USB vendor/product id, and the ordering of
 * serial ports for the port picker and the production line (known ESP bridges first). No vscode here.
 */

export interface UsbBridge {
  vid: number;
  pid: number;
  name: string;
  /** The chip's own USB (no bridge): resets go through the USB-JTAG sequence. */
  native: boolean;
}

export const KNOWN_BRIDGES: readonly UsbBridge[] = [
  { vid: 0x10c4, pid: 0xea60, name: 'Silicon Labs CP210x', native: false },
  { vid: 0x1a86, pid: 0x7523, name: 'WCH CH340', native: false },
  { vid: 0x1a86, pid: 0x55d4, name: 'WCH CH9102', native: false },
  { vid: 0x0403, pid: 0x6001, name: 'FTDI FT232R', native: false },
  { vid: 0x0403, pid: 0x6010, name: 'FTDI FT2232H', native: false },
  { vid: 0x0403, pid: 0x6014, name: 'FTDI FT232H', native: false },
  { vid: 0x303a, pid: 0x1001, name: 'Espressif USB-Serial/JTAG', native: true },
  { vid: 0x303a, pid: 0x0002, name: 'Espressif native USB (ESP32-S2)', native: true },
  { vid: 0x303a, pid: 0x0009, name: 'Espressif native USB (ESP32-S3)', native: true },
  { vid: 0x303a, pid: 0x0012, name: 'Espressif native USB', native: true },
];

/** What `SerialPort.list()` returns for one port (all but `path` may be missing). */
export interface ListedPort {
  path: string;
  manufacturer?: string;
  serialNumber?: string;
  vendorId?: string;
  productId?: string;
  pnpId?: string;
  /** USB location (hub/port path) when the OS reports it. */
  locationId?: string;
}

export interface RankedPort {
  path: string;
  /** "CP210x 10C4:EA60" or the manufacturer, for the picker's description. */
  description: string;
  bridge?: UsbBridge;
  vidPid?: string;
}

function parseHexId(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const v = Number.parseInt(text.replace(/^0x/i, ''), 16);
  return Number.isFinite(v) ? v : undefined;
}

function hex4(v: number): string {
  return v.toString(16).toUpperCase().padStart(4, '0');
}

export function bridgeOf(port: ListedPort): UsbBridge | undefined {
  const vid = parseHexId(port.vendorId);
  const pid = parseHexId(port.productId);
  if (vid === undefined || pid === undefined) return undefined;
  return KNOWN_BRIDGES.find((b) => b.vid === vid && b.pid === pid);
}

export function describePort(port: ListedPort): RankedPort {
  const vid = parseHexId(port.vendorId);
  const pid = parseHexId(port.productId);
  const vidPid = vid !== undefined && pid !== undefined ? `${hex4(vid)}:${hex4(pid)}` : undefined;
  const bridge = bridgeOf(port);
  const parts: string[] = [];
  if (bridge) parts.push(bridge.name);
  else if (port.manufacturer) parts.push(port.manufacturer);
  if (vidPid) parts.push(vidPid);
  if (port.serialNumber) parts.push(`S/N ${port.serialNumber}`);
  return { path: port.path, description: parts.join(' · ') || 'no USB information', bridge, vidPid };
}

/** Known ESP bridges first (in table order), then other USB ports, then the rest; by path within each. */
export function rankPorts(ports: ListedPort[]): RankedPort[] {
  const rank = (p: RankedPort): number => {
    if (p.bridge) return KNOWN_BRIDGES.indexOf(p.bridge);
    return p.vidPid ? KNOWN_BRIDGES.length : KNOWN_BRIDGES.length + 1;
  };
  return ports.map(describePort).sort((a, b) => rank(a) - rank(b) || a.path.localeCompare(b.path, undefined, { numeric: true }));
}

/** The port to use without asking: only when exactly one listed port is a known ESP bridge. */
export function autoPickPort(ports: ListedPort[]): string | undefined {
  const known = ports.filter((p) => bridgeOf(p));
  return known.length === 1 ? known[0].path : undefined;
}
