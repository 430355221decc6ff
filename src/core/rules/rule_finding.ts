/**
 * What a rule says about a write: typed, so `plan`, the Flash Plan tree and the flash job show
 * the same finding, and each face words the override its own way (the CLI says `--force`,
 * the editor offers a button). No CLI flag names here.
 */

/** Every rule's code (stable: tests, the editor and scripts key on these). */
export type RuleCode =
  | 'plaintext-in-encrypted-region'
  | 'unaligned-offset'
  | 'header-flash-size'
  | 'shared-sector'
  | 'chip-cannot-encrypt'
  | 'loader-cannot-encrypt'
  | 'download-encrypt-disabled'
  | 'encrypted-alignment'
  | 'beyond-flash'
  | 'no-flash-key'
  | 'flash-crypt-config'
  | 'encryption-not-enabled'
  | 'image-chip'
  | 'host-key'
  // What a production line expects of each device (src/core/line/device_checks.ts).
  | 'device-chip'
  | 'device-flash-size';

export interface RuleFinding {
  code: RuleCode;
  /** 'refuse': nothing is written (unless overridable and forced); 'warn': said, and the write goes on. */
  severity: 'refuse' | 'warn';
  segment: string;
  offset: number;
  /** Forcing lets the write through. */
  overridable: boolean;
  /** What is wrong, naming the segment and offset. */
  reason: string;
  /** What to do about it. */
  advice: string;
}

/** The one-line text of a finding: reason, then advice. */
export function findingText(f: { reason: string; advice: string }): string {
  return f.advice ? `${f.reason} ${f.advice}` : f.reason;
}

export const hex = (n: number): string => `0x${n.toString(16)}`;

/** `segment "app" at 0x10000` */
export const where = (s: { name: string; offset: number }): string => `segment "${s.name}" at ${hex(s.offset)}`;
