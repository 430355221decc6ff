import type { ChipName, FlashMode } from '../chips';
import type { ImageInfo } from '../formats/image_format';

/**
 * How a segment is encrypted when it is written:
 *  - 'off'    plaintext;
 *  - 'device' the chip encrypts with its eFuse key while writing (development mode);
 *  - 'host'   the host encrypts with a key file and writes ciphertext with ordinary writes.
 */
export type EncryptMode = 'off' | 'device' | 'host';

export interface FlashSettings {
  /** 'keep' leaves the image header alone. */
  mode: FlashMode | 'keep';
  /** '4MB' etc., 'detect' (use the device's size) or 'keep'. */
  size: string;
  /** '80m' etc. or 'keep'. */
  freq: string;
}

export interface PartitionRef {
  label: string;
  type: number;
  subtype: number;
  typeName: string; // "app", "data"
  subtypeName: string; // "factory", "nvs", ...
  offset: number;
  size: number;
  /** The table's `encrypted` flag (bit 0). */
  encrypted: boolean;
  /** The table's `readonly` flag (bit 1). */
  readonly?: boolean;
  /** Written encrypted by default when flash encryption is on (§7 "Encrypted by default"). */
  encryptByDefault?: boolean;
}

/** What a segment is, as far as the reader could tell. */
export type SegmentRole = 'bootloader' | 'partition-table' | 'app' | 'otadata' | 'data';

/** Flash-encryption mode of the build (from sdkconfig). */
export type FlashEncryptionMode = 'off' | 'development' | 'release';

/** One thing to write at one offset. */
export interface PlanSegment {
  /** "bootloader", "partition-table", "app", "storage", ... */
  name: string;
  offset: number;
  /** Contents; readers fill it, so the flasher never re-reads files. */
  bytes: Uint8Array;
  /** Absolute path of the file it came from, when it came from one. */
  file?: string;
  /** Whether the build says this segment is written encrypted when flash encryption is on. */
  encrypt: boolean;
  /** Why `encrypt` has its value ("flasher_args.json: encrypted=true", "partition flag", ...). */
  encryptSource?: string;
  partition?: PartitionRef;
  role?: SegmentRole;
  /** Header facts when the bytes are an app/bootloader image. */
  image?: ImageInfo;
  /** Which input named this segment ("flasher_args.json flash_files 0x10000", "flash_args line 3"). */
  origin?: string;
  /** The offset as the user typed it (offset/file pairs: "010" is read as decimal 10, and the rules say so). */
  offsetText?: string;
}

export interface FlashPlan {
  chip?: ChipName;
  settings: FlashSettings;
  segments: PlanSegment[];
  /** Where the plan came from (a build folder, "offset/file pairs"). */
  source?: string;
  /** Options the build asks for (before/after reset, stub). */
  before?: string;
  after?: string;
  stub?: boolean;
  /** The whole partition table the plan writes (partitions without an image too). */
  partitions?: PartitionRef[];
  /** Flash offset of the partition table. */
  partitionTableOffset?: number;
  /** Flash-encryption mode the build was configured for (sdkconfig); undefined when unknown. */
  flashEncryption?: FlashEncryptionMode;
  /** Where `settings` came from ("flasher_args.json flash_settings", "bootloader.bin header"). */
  settingsSource?: string;
  /** Files the reader read (for "refresh when these change"). */
  inputs?: string[];
}
