/**
 * Choosing the host key for a device: one key file, or a directory of per-device keys named
 * by MAC address (aabbccddeeff.bin), chosen after connecting.
 */
import { InputError } from '../errors';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChipName } from '../chips';
import type { HostKeyOptions } from '../flash/api';
import { loadKeyFile, type FlashKey } from './flash_key';

/** "aa:bb:cc:dd:ee:ff" (any case, ':' or '-' or nothing between) → "aabbccddeeff.bin". */
export function deviceKeyFileName(mac: string): string {
  const hex = mac.trim().toLowerCase().replace(/[:-]/g, '');
  if (!/^[0-9a-f]{12}$/.test(hex)) {
    throw new InputError(`"${mac}" is not a MAC address (six hex bytes such as aa:bb:cc:dd:ee:ff); cannot pick a per-device key.`);
  }
  return `${hex}.bin`;
}

/** The key a device's host-encrypted segments use: `keyFile`, else `keyDir/<mac>.bin`. */
export function resolveHostKey(opts: HostKeyOptions | undefined, device: { chip: ChipName; mac?: string }): FlashKey {
  if (opts?.keyFile) return loadKeyFile(opts.keyFile, device.chip);
  if (opts?.keyDir) {
    if (!device.mac) throw new InputError(`A per-device key directory (${opts.keyDir}) needs the device's MAC address, which was not read.`);
    const file = path.join(opts.keyDir, deviceKeyFileName(device.mac));
    if (!fs.existsSync(file)) {
      throw new InputError(
        `No key for device ${device.mac} in ${opts.keyDir}: expected ${file}. Put this device's key file there ` +
          `(named by its MAC in lower-case hex without colons), or give a single key file instead.`,
      );
    }
    return loadKeyFile(file, device.chip);
  }
  throw new InputError(`Segments with encryption 'host' need a key: give a key file or a per-device key directory.`);
}
