import type { ChipName } from '../chips';
import type { DeviceInfo } from './api';

/** Everything a flash job reports, in order. The CLI, the output channel, the notification
 * and the status bar all render these same events. */
export type FlashEvent =
  | { kind: 'connecting'; port: string; attempt: number; strategy: string }
  | { kind: 'connected'; port: string }
  | { kind: 'chip'; chip: ChipName; description: string }
  /** Everything read about the device on connecting (read only); every job that connects sends it. */
  | { kind: 'device'; info: DeviceInfo }
  | { kind: 'stub'; running: boolean; detail: string }
  | { kind: 'baud'; baud: number }
  | { kind: 'plan'; totalBytes: number; segments: number }
  | {
      kind: 'segment-start';
      index: number;
      name: string;
      /** Where writing starts: the segment's offset, or its first changed sector's (incremental write). */
      offset: number;
      /** Bytes to write: the segment's, or only its changed sectors'. */
      size: number;
      method: string;
    }
  | {
      kind: 'progress';
      index: number;
      name: string;
      /** Uncompressed bytes of this segment written so far. */
      written: number;
      total: number;
      /** Bytes sent for this segment so far (compressed size when compressing). */
      sent: number;
      /** Effective rate, uncompressed bits per second / 1000. */
      kbitPerSecond: number;
    }
  | {
      kind: 'verified';
      index: number;
      name: string;
      md5: string;
      /** 'ciphertext': host-encrypted data, checked as ciphertext only (the chip's key cannot be read, so not that it decrypts). */
      checked?: 'data' | 'ciphertext';
    }
  | {
      kind: 'skipped';
      index: number;
      name: string;
      reason: string;
      /** The flash already holds the segment: its MD5, and how that was known (e.g. the device cache). */ md5?: string;
      how?: string;
    }
  | {
      kind: 'segment-done';
      index: number;
      name: string;
      /** Bytes written (only the changed sectors' bytes after an incremental write). */
      bytes: number;
      sentBytes: number;
      seconds: number;
      kbitPerSecond: number;
      /** Incremental write: "3 of 80 sectors changed". */
      detail?: string;
    }
  | { kind: 'warning'; message: string }
  /** The device cache (device_cache.ts) could not be used: why, and that the job compares with the flash instead. */
  | { kind: 'cache'; message: string }
  | { kind: 'reset'; how: string }
  | { kind: 'done'; seconds: number; written: string[]; skipped: string[] }
  | { kind: 'failed'; message: string; segment?: string; offset?: number; written: string[]; notWritten: string[] };

export type FlashEventListener = (event: FlashEvent) => void;
