/** esp_app_desc_t and esp_bootloader_desc_t: read and write (§6.1). */
import { APP_DESC, APP_DESC_MAGIC, BOOTLOADER_DESC, BOOTLOADER_DESC_MAGIC_BYTE, type AppDescriptor, type BootloaderDescriptor } from './image_format';
import { cString, putCString, putU16, putU32, toHex, u16, u32 } from './bytes';

/** Reads an app descriptor at `at`, or undefined when the magic word is not there. */
export function readAppDescriptor(b: Uint8Array, at: number): AppDescriptor | undefined {
  if (at + APP_DESC.size > b.length || u32(b, at + APP_DESC.magic) !== APP_DESC_MAGIC) return undefined;
  const log2 = b[at + APP_DESC.mmuPageSize];
  const desc: AppDescriptor = {
    projectName: cString(b, at + APP_DESC.projectName, 32),
    version: cString(b, at + APP_DESC.version, 32),
    idfVersion: cString(b, at + APP_DESC.idfVersion, 32),
    date: cString(b, at + APP_DESC.date, 16),
    time: cString(b, at + APP_DESC.time, 16),
    secureVersion: u32(b, at + APP_DESC.secureVersion),
    elfSha256: toHex(b.subarray(at + APP_DESC.elfSha256, at + APP_DESC.elfSha256 + 32)),
    minEfuseBlkRevFull: u16(b, at + APP_DESC.minEfuseBlkRevFull),
    maxEfuseBlkRevFull: u16(b, at + APP_DESC.maxEfuseBlkRevFull),
  };
  if (log2 > 0 && log2 < 32) desc.mmuPageSize = 2 ** log2;
  return desc;
}

export interface AppDescriptorFields {
  projectName: string;
  version: string;
  idfVersion: string;
  date: string;
  time: string;
  secureVersion?: number;
  mmuPageSize?: number;
}

/** A 256-byte esp_app_desc_t (the ELF SHA-256 is left zero; image building fills it). */
export function writeAppDescriptor(f: AppDescriptorFields): Uint8Array {
  const b = new Uint8Array(APP_DESC.size);
  putU32(b, APP_DESC.magic, APP_DESC_MAGIC);
  putU32(b, APP_DESC.secureVersion, f.secureVersion ?? 0);
  putCString(b, APP_DESC.version, 32, f.version);
  putCString(b, APP_DESC.projectName, 32, f.projectName);
  putCString(b, APP_DESC.time, 16, f.time);
  putCString(b, APP_DESC.date, 16, f.date);
  putCString(b, APP_DESC.idfVersion, 32, f.idfVersion);
  putU16(b, APP_DESC.minEfuseBlkRevFull, 0);
  putU16(b, APP_DESC.maxEfuseBlkRevFull, 0xffff);
  b[APP_DESC.mmuPageSize] = f.mmuPageSize ? Math.log2(f.mmuPageSize) : 0;
  return b;
}

export function readBootloaderDescriptor(b: Uint8Array, at: number): BootloaderDescriptor | undefined {
  if (at + BOOTLOADER_DESC.size > b.length || b[at] !== BOOTLOADER_DESC_MAGIC_BYTE) return undefined;
  const idfVersion = cString(b, at + BOOTLOADER_DESC.idfVersion, 32);
  // A bare 0x50 byte is common in code; demand a printable version string as well.
  if (!/^[\x20-\x7e]+$/.test(idfVersion)) return undefined;
  return {
    secureVersion: b[at + BOOTLOADER_DESC.secureVersion],
    version: u32(b, at + BOOTLOADER_DESC.version),
    idfVersion,
    dateTime: cString(b, at + BOOTLOADER_DESC.dateTime, 24),
  };
}

export function writeBootloaderDescriptor(f: { version: number; idfVersion: string; dateTime: string }): Uint8Array {
  const b = new Uint8Array(BOOTLOADER_DESC.size);
  b[BOOTLOADER_DESC.magic] = BOOTLOADER_DESC_MAGIC_BYTE;
  putU32(b, BOOTLOADER_DESC.version, f.version);
  putCString(b, BOOTLOADER_DESC.idfVersion, 32, f.idfVersion);
  putCString(b, BOOTLOADER_DESC.dateTime, 24, f.dateTime);
  return b;
}
