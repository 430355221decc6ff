/**
 * Which segments `flash`/`verify` write encrypted, and how, from the command-line flags:
 *
 *   --encrypt               every segment the build marks encrypted; with no marks at all, every segment
 *   --encrypt-files O F …   these extra offset/file pairs, encrypted (others stay plain)
 *   --encrypt-key FILE      encrypt on the host with this key instead of on the chip
 *   --encrypt-key-dir DIR   same, key chosen by the chip's MAC (<mac>.bin)
 *
 * Without --encrypt every plan segment is written plain; the core then refuses plaintext
 * onto a chip with flash encryption on and names the segment.
 */
import type { EncryptMode, PlanSegment } from '../core/plan/flash_plan';
import { resolveSegmentEncryption, type EncryptedBy } from '../core/plan/segment_encryption';
import { UsageError } from './args';

export interface EncryptFlags {
  /** --encrypt given. */
  encrypt: boolean;
  /** A host key (--encrypt-key or --encrypt-key-dir) given. */
  hostKey: boolean;
}

/** The mode encrypted segments get: the host's key when one is given, else the chip's. */
export function encryptedBy(flags: EncryptFlags): EncryptedBy {
  return flags.hostKey ? 'host' : 'device';
}

/**
 * Encrypt mode per plan segment (same order). The --encrypt-files segments are not part of
 * `segments`: they are always encrypted with encryptedBy(). The rule itself is the core's
 * resolveSegmentEncryption (the editor calls it too).
 */
export function chooseEncryptModes(segments: PlanSegment[], flags: EncryptFlags): EncryptMode[] {
  return resolveSegmentEncryption(segments, { kind: flags.encrypt ? 'encrypted' : 'plain', by: encryptedBy(flags), allWhenNoneMarked: true });
}

/** A host key only says *how* to encrypt; refuse it when nothing says *what*. */
export function checkEncryptFlagCombination(flags: EncryptFlags, encryptFiles: number): void {
  if (flags.hostKey && !flags.encrypt && encryptFiles === 0) {
    throw new UsageError(
      '--encrypt-key / --encrypt-key-dir say how to encrypt, not what: add --encrypt (the segments the build marks encrypted) or --encrypt-files <offset> <file> ….',
    );
  }
}
