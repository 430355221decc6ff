/**
 * --retry-failed: the devices a report marks failed (by their latest record), found again on
 * the ports present — by USB serial number when the report has one (the device may have moved
 * to another port), else by the port it was on.
 */
import * as fs from 'node:fs';
import type { ListedPort } from '../transport/usb_bridges';
import { isVirtualPort } from '../transport/open_port';
import type { DeviceRecord } from './device_record';
import type { LinePort } from './port_selection';

export interface RetryTargets {
  /** Ports to flash again. */
  ports: LinePort[];
  /** Failed devices not found now (unplugged, or moved without a serial number). */
  missing: DeviceRecord[];
}

export function retryTargets(failed: DeviceRecord[], listed: ListedPort[]): RetryTargets {
  const ports: LinePort[] = [];
  const missing: DeviceRecord[] = [];
  for (const rec of failed) {
    const bySerial = rec.usbSerial ? listed.find((p) => p.serialNumber === rec.usbSerial) : undefined;
    if (bySerial) {
      const lp: LinePort = { port: bySerial.path, usbSerial: rec.usbSerial };
      const location = bySerial.locationId || bySerial.pnpId;
      if (location) lp.usbLocation = location;
      ports.push(lp);
    } else if (!rec.usbSerial && (isVirtualPort(rec.port) || listed.some((p) => p.path === rec.port) || fs.existsSync(rec.port))) {
      ports.push(rec.usbLocation ? { port: rec.port, usbLocation: rec.usbLocation } : { port: rec.port });
    } else missing.push(rec);
  }
  return { ports, missing };
}
