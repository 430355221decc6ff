/**
 * The core's public flashing API: what the CLI and the VS Code face call.
 * (Contract written first so every layer could be built at once; implementations live in
 * the files named beside each function.)
 */
import type { ChipName } from '../chips';
import type { EncryptMode, FlashSettings } from '../plan/flash_plan';
import type { PartitionRef } from '../plan/flash_plan';
import type { RuleCode } from '../rules/rule_finding';
import type { FlashEventListener } from './events';
import type { ChipIdentity } from '../protocol/chip_identity';
import type { DeviceCacheStore } from './device_cache';

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
  /**
   * Called with one line per loader frame sent or received: ms since the port opened, the port,
   * the direction and the opcode (esptool's --trace). For diagnosing a link and timing a job.
   */
  trace?: (line: string) => void;
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
  /** The offset as the user typed it, so a finding can say how it was read ("010" is decimal 10). */
  offsetText?: string;
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
  /**
   * Where the job remembers per device what it last wrote and verified (device_cache.ts): with it,
   * a re-flash confirms the cached regions with one MD5 each and compares sectors locally. Never
   * trusted without that MD5. Absent: no cache.
   */
  deviceCache?: DeviceCacheStore;
  /** Override the refusals marked overridable (esptool's --force rules). */
  force?: boolean;
  /**
   * The plan's partition table, for the encrypted-region rule (src/core/rules/encrypted_regions.ts).
   * Without it, an encryption-enabled device's own table is read back when a plaintext write needs judging.
   */
  partitions?: PartitionRef[];
  /** Flash offset of the partition table (default 0x8000). */
  partitionTableOffset?: number;
  /** Key for segments with encrypt 'host' (and for verifying 'device' segments). */
  hostKey?: HostKeyOptions;
  /** Stub writes: blocks sent ahead of the one awaited (default 1; 0 = wait for each ACK). */
  pipelineDepth?: number;
  /**
   * Called once the device is known (chip, MAC, flash size, security), before anything is
   * written: refusals it returns stop this job like the safety checks' (nothing written). The
   * production line's per-device expectations (src/core/line/device_checks.ts).
   */
  checkDevice?: (device: DeviceInfo) => FlashRefusal[];
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
  /** Which rule (src/core/rules/rule_finding.ts). */
  code: RuleCode;
  segment: string;
  offset: number;
  /** `force` would let the write through (esptool's --force rules). */
  overridable: boolean;
  /** What is wrong, naming the segment and offset. */
  reason: string;
  /** What to do (without any face's override wording: the CLI and the editor add their own). */
  advice: string;
  /** reason + advice, one line (logs). */
  message: string;
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
  /** The class of the error that stopped the job (StubStartError, PortIoError, …): the faces word their advice by it, never by the message. */
  errorClass?: string;
  /** True when the job stopped because the AbortSignal fired. */
  cancelled?: boolean;
  /** Set when safety checks refused the job (nothing was written): each refusal, as data. */
  refusals?: FlashRefusal[];
  /** The device as read after connecting (absent when the job failed before that). */
  device?: DeviceInfo;
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
  /** Revision, crystal, features and the read-only eFuse summary (absent in Secure Download Mode). */
  identity?: ChipIdentity;
  /** Where the security facts came from: eFuse registers, GET_SECURITY_INFO (Secure Download Mode), or nothing. */
  securitySource?: 'efuse' | 'security-info' | 'none';
  /** "Manual encryption in download mode disabled" (release mode); undefined when unreadable. */
  downloadEncryptDisabled?: boolean;
}
