/**
 * The core's public flashing API: what the CLI and the VS Code face call.
 * (Contract written first so every layer could be built at once; implementations live in
 * the files named beside each function.)
 */
import type { ChipName } from '../chips';
import type { EncryptMode, FlashSettings } from '../plan/flash_plan';
import type { FlashEventListener } from './events';

export type BeforeReset = 'default-reset' | 'usb-reset' | 'no-reset' | 'no-reset-no-sync';
export type AfterReset = 'hard-reset' | 'no-reset' | 'no-reset-stub';

export interface ConnectOptions {
  /** Serial device path, or "virtual:<chip>[:option=value…]" for a virtual chip behind a pseudo-terminal. */
  port: string;
  /** Baud rate for the transfer (switched to after sync). Default 460800. */
  baud?: number;
  /** Expected chip; 'auto' (default) detects and accepts any. A mismatch is an error. */
  chip?: ChipName | 'auto';
  before?: BeforeReset;
  after?: AfterReset;
  /** Connection attempts before giving up (default 7, as esptool). */
  connectAttempts?: number;
  /** Upload and use the flasher stub (default true). */
  stub?: boolean;
  /** The stub was insisted on (--stub): one that does not start fails the job instead of falling back to the ROM loader. */
  stubRequired?: boolean;
  /** Directory of stub JSON files (esptool format) used before the bundled esptool-js ones. */
  stubDir?: string;
  /** Cancels the job; the port is released and the result says what was written. */
  signal?: AbortSignal;
  onEvent?: FlashEventListener;
  /**
   * "virtual:" ports only: called with the VirtualChip (src/sim) behind the port as soon as it
   * runs, e.g. so a demo or test can read its flash back. Typed loosely to keep core free of sim types.
   */
  onVirtualChip?: (chip: unknown) => void;
}

/** One segment as the flasher writes it. */
export interface WriteSegment {
  name: string;
  offset: number;
  bytes: Uint8Array;
  encrypt: EncryptMode;
  /**
   * Whether the build marks this segment as written encrypted when flash encryption is on
   * (the plan's `encrypt` flag). Optional; lets the safety checks refuse a plaintext write
   * where the chip expects ciphertext. Unknown ⇒ guessed from the contents.
   */
  encryptedInBuild?: boolean;
}

export interface HostKeyOptions {
  /** Key file (raw bytes as espsecure writes them). */
  keyFile?: string;
  /** Directory of per-device keys named <mac>.bin (aabbccddeeff.bin), chosen after connecting. */
  keyDir?: string;
  /** ESP32 FLASH_CRYPT_CONFIG (default 0xF). */
  flashCryptConfig?: number;
}

export interface FlashOptions extends ConnectOptions {
  settings?: FlashSettings;
  /** Compress plain writes (default true). */
  compress?: boolean;
  /** MD5-verify after writing (default true). */
  verify?: boolean;
  /**
   * Skip segments whose MD5 already matches, and of the others write only the 4 KiB sectors
   * whose MD5 differs (default true; needs the expected flash contents: plain, host-encrypted,
   * or device-encrypted with the key given). false writes every segment whole.
   */
  skipUnchanged?: boolean;
  /** Override the refusals esptool lets --force override. */
  force?: boolean;
  /** Key for segments with encrypt 'host' (and for verifying 'device' segments). */
  hostKey?: HostKeyOptions;
  /** Stub writes: blocks sent ahead of the one awaited (default 1; 0 = wait for each ACK). */
  pipelineDepth?: number;
}

export interface SegmentResult {
  name: string;
  offset: number;
  status: 'written' | 'skipped' | 'failed' | 'not-written';
  bytes: number;
  sentBytes: number;
  seconds: number;
  verified: boolean;
  /** Incremental write (segment not identical on flash, skip-unchanged on): sectors rewritten, of all the segment touches. */
  changedSectors?: number;
  totalSectors?: number;
}

/** A safety check's refusal: nothing was written because of it. */
export interface FlashRefusal {
  segment: string;
  offset: number;
  message: string;
  /** `force` would let the write through (esptool's --force rules). */
  overridable: boolean;
}

export interface FlashResult {
  ok: boolean;
  chip?: ChipName;
  segments: SegmentResult[];
  seconds: number;
  /** Bytes written to the wire in both directions (from the transport's counters). */
  wireBytesOut: number;
  wireBytesIn: number;
  error?: string;
  /** True when the job stopped because the AbortSignal fired. */
  cancelled?: boolean;
  /** Set when safety checks refused the job (nothing was written): each refusal, as data. */
  refusals?: FlashRefusal[];
}

export interface DeviceInfo {
  chip: ChipName;
  description: string;
  mac: string; // "aa:bb:cc:dd:ee:ff"
  flashSize?: number;
  flashId?: number;
  flashEncryption: 'off' | 'development' | 'release';
  cryptCounter: number;
  secureBoot: boolean;
  secureDownloadMode: boolean;
  /** ESP32: FLASH_CRYPT_CONFIG; others undefined. */
  flashCryptConfig?: number;
  keyPresent: boolean;
  stub: boolean;
}
