/** GET_SECURITY_INFO payload (esp-serial-protocol.md §3.6). */
import { DeviceError } from '../errors';
import { readU32le } from './packet';

export interface SecurityInfo {
  flags: number;
  /** SPI_BOOT_CRYPT_CNT value. */
  cryptCounter: number;
  keyPurposes: number[];
  /** Absent on ESP32-S2 (12-byte payload). */
  chipId?: number;
  apiVersion?: number;
  secureBootEnabled: boolean;
  secureDownloadMode: boolean;
}

export const SECURITY_FLAG = {
  SECURE_BOOT_EN: 1 << 0,
  SECURE_BOOT_AGGRESSIVE_REVOKE: 1 << 1,
  SECURE_DOWNLOAD_ENABLE: 1 << 2,
  SOFT_DIS_JTAG: 1 << 6,
  HARD_DIS_JTAG: 1 << 7,
  DIS_USB: 1 << 8,
  DIS_DOWNLOAD_DCACHE: 1 << 9,
  DIS_DOWNLOAD_ICACHE: 1 << 10,
} as const;

export function parseSecurityInfo(payload: Uint8Array): SecurityInfo {
  if (payload.length < 12) throw new DeviceError(`GET_SECURITY_INFO returned ${payload.length} bytes; expected 12 or 20.`);
  const flags = readU32le(payload, 0);
  const info: SecurityInfo = {
    flags,
    cryptCounter: payload[4],
    keyPurposes: Array.from(payload.subarray(5, 12)),
    secureBootEnabled: (flags & SECURITY_FLAG.SECURE_BOOT_EN) !== 0,
    secureDownloadMode: (flags & SECURITY_FLAG.SECURE_DOWNLOAD_ENABLE) !== 0,
  };
  if (payload.length >= 20) {
    info.chipId = readU32le(payload, 12);
    info.apiVersion = readU32le(payload, 16);
  }
  return info;
}
