/**
 * What the production line expects of every device (the chip, a minimum flash size), checked
 * per device once it is known and before anything is written: a mismatch refuses that device
 * only, as typed refusals (FlashOptions.checkDevice). The image/flash safety rules stay in
 * src/core/rules; the per-MAC key comes from device_key_file.ts.
 */
import { chipFacts, type ChipName } from '../chips';
import type { DeviceInfo, FlashRefusal, WriteSegment } from '../flash/api';

export interface DeviceExpectations {
  /** The chip every device must be (--chip, else the build's chip). */
  chip?: ChipName;
  /** Devices with less flash than this (bytes), or whose size is unknown, are refused. */
  minFlashSize?: number;
}

const size = (n: number): string => (n >= 1024 * 1024 && n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MB` : `${n} bytes`);

/** Refusals for a device that does not meet the expectations (empty = go ahead). */
export function deviceRefusals(device: DeviceInfo, expect: DeviceExpectations, segments: WriteSegment[]): FlashRefusal[] {
  const first = segments[0];
  const at = { segment: first?.name ?? '(device)', offset: first?.offset ?? 0, overridable: false };
  const refusals: FlashRefusal[] = [];
  const refuse = (code: 'device-chip' | 'device-flash-size', reason: string, advice: string) => refusals.push({ ...at, code, reason, advice, message: `${reason} ${advice}` });
  if (expect.chip && device.chip !== expect.chip) {
    refuse(
      'device-chip',
      `This device is ${chipFacts(device.chip).displayName} (MAC ${device.mac || 'unknown'}), but the line flashes ${chipFacts(expect.chip).displayName} (${expect.chip}): nothing was written to it.`,
      'Put it on a line for its chip.',
    );
  }
  if (expect.minFlashSize !== undefined) {
    if (device.flashSize === undefined) {
      refuse(
        'device-flash-size',
        `The flash size of this device could not be detected, and the line requires at least ${size(expect.minFlashSize)}: nothing was written to it.`,
        'Check the board, or lower the minimum flash size.',
      );
    } else if (device.flashSize < expect.minFlashSize) {
      refuse(
        'device-flash-size',
        `This device has ${size(device.flashSize)} of flash, less than the ${size(expect.minFlashSize)} the line requires: nothing was written to it.`,
        'Use a board with enough flash.',
      );
    }
  }
  return refusals;
}
