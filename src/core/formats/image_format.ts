/**
 * ESP32-family app/bootloader image format (§6.1): constants and the parsed, JSON-friendly
 * description of an image. Parsing lives in image_parse.ts, writing in image_build.ts.
 */
import type { ChipName } from '../chips';

export const IMAGE_MAGIC = 0xe9;
export const IMAGE_HEADER_LEN = 24; // 8-byte header + 16-byte extended header
export const SEGMENT_HEADER_LEN = 8;
export const IMAGE_MAX_SEGMENTS = 16;
export const CHECKSUM_SEED = 0xef;
export const APP_DESC_MAGIC = 0xabcd5432;
export const BOOTLOADER_DESC_MAGIC_BYTE = 0x50;
/** Offsets inside esp_app_desc_t (256 bytes). */
export const APP_DESC = {
  size: 256,
  magic: 0x00,
  secureVersion: 0x04,
  version: 0x10,
  projectName: 0x30,
  time: 0x50,
  date: 0x60,
  idfVersion: 0x70,
  elfSha256: 0x90,
  minEfuseBlkRevFull: 0xb0,
  maxEfuseBlkRevFull: 0xb2,
  mmuPageSize: 0xb4,
} as const;
/** Offsets inside esp_bootloader_desc_t (80 bytes). */
export const BOOTLOADER_DESC = {
  size: 80,
  magic: 0x00,
  secureVersion: 0x03,
  version: 0x04,
  idfVersion: 0x08,
  dateTime: 0x28,
} as const;

export interface ImageSegmentInfo {
  /** Load address. */
  addr: number;
  length: number;
  /** Offset of the segment's data (after its 8-byte header) in the image file. */
  dataOffset: number;
  /** Flash-mapped (IROM/DROM window of the chip) or loaded to RAM; unknown without a chip. */
  mapping?: 'flash' | 'ram';
}

export interface AppDescriptor {
  projectName: string;
  version: string;
  idfVersion: string;
  /** Build date and time as the app stores them ("Jan 14 2025", "11:24:15"). */
  date: string;
  time: string;
  secureVersion: number;
  /** Hex SHA-256 of the ELF the image was made from. */
  elfSha256: string;
  minEfuseBlkRevFull: number;
  maxEfuseBlkRevFull: number;
  /** MMU page size in bytes (from the log2 field), when set. */
  mmuPageSize?: number;
}

export interface BootloaderDescriptor {
  version: number;
  idfVersion: string;
  dateTime: string;
  secureVersion: number;
}

/** Everything an image header says, plus integrity results. JSON-safe (no byte arrays). */
export interface ImageInfo {
  chipId?: number;
  /** The chip the chip id names, when known. */
  chip?: ChipName;
  flashModeByte: number;
  flashMode?: string;
  /** High nibble of header byte 3. */
  flashSizeNibble: number;
  flashSize?: string;
  /** Low nibble of header byte 3 (meaning depends on the chip). */
  flashFreqNibble: number;
  flashFreq?: string;
  entry: number;
  segmentCount: number;
  segments: ImageSegmentInfo[];
  wpPin: number;
  minRev: number;
  minRevFull: number;
  maxRevFull: number;
  hashAppended: boolean;
  checksum: { stored: number; computed: number; ok: boolean };
  sha256?: { stored: string; computed: string; ok: boolean };
  /** Bytes from offset 0 through the checksum (and the digest when appended). */
  imageLength: number;
  /** Bytes after the image (signature blocks, padding, merged binaries). */
  trailingBytes: number;
  appDesc?: AppDescriptor;
  bootloaderDesc?: BootloaderDescriptor;
}
