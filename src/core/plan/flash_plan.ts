import type { ChipName, FlashMode } from '../chips';

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
  encrypted: boolean;
}

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
}
