/** How the CLI words the core's typed refusals: reason, advice, and its own note on --force. */
import type { FlashRefusal } from '../core/flash/api';

export function refusalLines(refusals: FlashRefusal[], forced = false): string[] {
  return refusals.map((r) => {
    const force = r.overridable ? (forced ? ' (forced)' : ' (--force overrides this check.)') : ' (This check cannot be overridden.)';
    return `  [${r.code}] ${r.reason}${r.advice ? ` ${r.advice}` : ''}${force}`;
  });
}
