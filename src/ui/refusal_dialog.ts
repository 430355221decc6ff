/**
 * The refusal dialog's words and buttons, from the core's refusals as data: one short bold
 * line, each refusal once in the detail (the advice once per rule), and the fix as a choice
 * when there is one ("Flash (Encrypted) instead" for plaintext on encrypted flash). Uses the
 * refusal's rule `code` when the core gives one; without codes it words each refusal's message
 * and decides the fix from what the device is known to be. No vscode here.
 */

/** A refusal as it arrives: `code`, `reason` and `advice` are there when the core gives them. */
export interface RefusalLike {
  code?: string;
  segment?: string;
  offset?: number;
  message?: string;
  reason?: string;
  advice?: string;
  overridable?: boolean;
}

/** A one-click fix: the same flash with encryption on (for the checked segments) or off. */
export type RefusalFix = 'flash-encrypted' | 'flash-plain';

export const FIX_LABEL: Record<RefusalFix, string> = {
  'flash-encrypted': 'Flash (Encrypted) Instead',
  'flash-plain': 'Flash Plain Instead',
};

export interface RefusalDialog {
  /** The bold line. */
  message: string;
  /** Every refusal once, then what the buttons do. */
  detail: string;
  /** Every refusal may be overridden (after a second confirmation). */
  overridable: boolean;
  fix?: RefusalFix;
}

/** Rules whose fix is writing the same segments encrypted / plain. */
const FIXED_BY_ENCRYPTING = new Set(['plaintext-in-encrypted-region']);
const FIXED_BY_PLAIN = new Set(['encryption-not-enabled', 'no-flash-key', 'chip-cannot-encrypt']);

/** What each rule means, for the bold line (the detail keeps the core's own words). */
const HEADLINE: Record<string, string> = {
  'plaintext-in-encrypted-region': 'this device’s flash is encrypted, and these segments would be written as plaintext, which does not boot',
  'encryption-not-enabled': 'flash encryption is not enabled on this device, so encrypted data would not be readable',
  'no-flash-key': 'this device has no flash-encryption key, so encrypted data would not be readable',
  'chip-cannot-encrypt': 'this chip has no flash encryption',
  'loader-cannot-encrypt': 'the ROM loader cannot encrypt while writing',
  'download-encrypt-disabled': 'this device cannot encrypt what it receives (release mode)',
  'encrypted-alignment': 'an encrypted segment is not aligned',
  'beyond-flash': 'a segment does not fit in the flash',
  'flash-crypt-config': 'FLASH_CRYPT_CONFIG is not 0xF',
  'image-chip': 'an image is built for another chip',
  'host-key': 'the host key does not suit this device',
  'shared-sector': 'two segments share a flash sector',
  'unaligned-offset': 'a segment is not on a 4 KiB boundary',
  'header-flash-size': 'an image header names a different flash size',
};

/** The core's note for command-line users; the dialog offers its own override. */
const FORCE_NOTE = /\s*\(--force overrides this check\.\)/g;

/** The refusal list an error (or its causes) carries, if any. */
export function refusalsOf(e: unknown): RefusalLike[] | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    const list = (cur as { refusals?: unknown }).refusals;
    if (Array.isArray(list) && list.length && list.every((r) => r && typeof r === 'object')) return list as RefusalLike[];
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

function distinct(items: string[]): string[] {
  return [...new Set(items.filter((x) => x.length > 0))];
}

function segmentsText(refusals: RefusalLike[]): string {
  const names = distinct(refusals.map((r) => r.segment ?? ''));
  return names.length ? names.join(', ') : 'the plan';
}

/** The fix, if every refusal has the same one. */
export function refusalFix(refusals: RefusalLike[], job: { encrypted: boolean; deviceEncryption?: 'off' | 'development' | 'release' }): RefusalFix | undefined {
  if (refusals.length === 0) return undefined;
  if (refusals.every((r) => r.code !== undefined)) {
    if (!job.encrypted && refusals.every((r) => FIXED_BY_ENCRYPTING.has(r.code!))) return 'flash-encrypted';
    if (job.encrypted && refusals.every((r) => FIXED_BY_PLAIN.has(r.code!))) return 'flash-plain';
    return undefined;
  }
  // Without rule codes: what the device is known to be decides (never the message text).
  if (!job.encrypted && job.deviceEncryption === 'development') return 'flash-encrypted';
  if (job.encrypted && job.deviceEncryption === 'off') return 'flash-plain';
  return undefined;
}

export function refusalDialog(
  refusals: RefusalLike[],
  job: { operation: string; encrypted: boolean; deviceEncryption?: 'off' | 'development' | 'release'; canOverride: boolean },
): RefusalDialog {
  const overridable = refusals.every((r) => r.overridable === true);
  const fix = refusalFix(refusals, job);
  const codes = distinct(refusals.map((r) => r.code ?? ''));
  const allCoded = refusals.every((r) => r.code !== undefined);
  const what = segmentsText(refusals);
  let headline: string;
  if (allCoded && codes.length === 1) headline = `${HEADLINE[codes[0]] ?? 'a safety check failed'} (${what})`;
  else headline = `${refusals.length === 1 ? 'a safety check' : `${refusals.length} safety checks`} failed for ${what}`;
  const message = `${job.operation}: nothing was written — ${headline}.`;

  const lines: string[] = [];
  if (allCoded && refusals.every((r) => r.reason !== undefined)) {
    for (const code of codes) {
      const group = refusals.filter((r) => r.code === code);
      for (const reason of distinct(group.map((r) => r.reason ?? ''))) lines.push(`• ${reason}`);
      for (const advice of distinct(group.map((r) => (r.advice ?? '').replace(FORCE_NOTE, '')))) lines.push(advice);
    }
  } else {
    for (const m of distinct(refusals.map((r) => (r.message ?? '').replace(FORCE_NOTE, '')))) lines.push(`• ${m}`);
  }
  const after: string[] = [];
  if (fix) after.push(`"${FIX_LABEL[fix]}" runs the same flash with encryption ${fix === 'flash-encrypted' ? 'on for the checked segments' : 'off'}; the checks run again.`);
  if (job.canOverride && overridable) after.push('"Override…" writes anyway after a second confirmation: only if you are sure what the device holds.');
  else if (!overridable) after.push('This check cannot be overridden.');
  return { message, detail: [...lines, '', ...after].join('\n').trim(), overridable, fix };
}
