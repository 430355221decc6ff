/**
 * A segment's encryption, decided once: from the build's marks (PlanSegment.encrypt) and the
 * user's choices (Flash vs Flash (Encrypted), --encrypt, the tree's checkboxes, device or host).
 * The CLI and the editor both call resolveSegmentEncryption; the result is the one type the
 * flash job executes (EncryptMode: 'off' = plain, 'device', 'host').
 */
import type { EncryptMode, PlanSegment } from './flash_plan';

export type { EncryptMode } from './flash_plan';

/** Who encrypts a segment written encrypted: the chip with its eFuse key, or the host with a key file. */
export type EncryptedBy = Exclude<EncryptMode, 'off'>;

/** Whether a job writes plain (everything plaintext) or encrypted (the chosen segments encrypted). */
export type WriteKind = 'plain' | 'encrypted';

export interface EncryptChoices {
  kind: WriteKind;
  by: EncryptedBy;
  /** The user's per-segment choices, by segment name or hex offset ("0x10000"); they win over the build's mark. */
  overrides?: Record<string, boolean>;
  /** When the build marks no segment at all, encrypt every segment (the CLI's --encrypt on offset/file pairs). */
  allWhenNoneMarked?: boolean;
}

/** Each plan segment's encryption (same order). */
export function resolveSegmentEncryption(segments: PlanSegment[], c: EncryptChoices): EncryptMode[] {
  if (c.kind === 'plain') return segments.map(() => 'off');
  const noneMarked = c.allWhenNoneMarked === true && !segments.some((s) => s.encrypt);
  return segments.map((s) => {
    const key = `0x${s.offset.toString(16)}`;
    const wanted = c.overrides?.[s.name] ?? c.overrides?.[key] ?? (noneMarked || s.encrypt);
    return wanted ? c.by : 'off';
  });
}
