/** Turn a FlashPlan into the list the flasher writes, each segment's encryption resolved once. */
import type { FlashPlan } from '../plan/flash_plan';
import { resolveSegmentEncryption, type EncryptChoices, type EncryptedBy, type WriteKind } from '../plan/segment_encryption';
import type { WriteSegment } from './api';

/**
 * `kind` 'plain' writes every segment as plaintext; 'encrypted' encrypts the segments the build
 * marks encrypted (or that `overrides` turns on), `by` the chip ('device') or the host ('host').
 * See resolveSegmentEncryption (src/core/plan/segment_encryption.ts) for the rule.
 */
export function segmentsFromPlan(
  plan: FlashPlan,
  kind: WriteKind,
  by: EncryptedBy,
  overrides?: Record<string, boolean>,
  more: Pick<EncryptChoices, 'allWhenNoneMarked'> = {},
): WriteSegment[] {
  const modes = resolveSegmentEncryption(plan.segments, { kind, by, ...(overrides ? { overrides } : {}), ...more });
  return plan.segments.map((s, i) => ({
    name: s.name,
    offset: s.offset,
    bytes: s.bytes,
    encrypt: modes[i],
    encryptedInBuild: s.encrypt,
    ...(s.offsetText !== undefined ? { offsetText: s.offsetText } : {}),
  }));
}
