/**
 * What the build asks of the connection (before/after reset, stub or ROM loader, chip), merged
 * with the user's choices in one place: the CLI's options and the editor's settings both come
 * here ('build' or undefined = as the build says).
 */
import type { ChipName } from '../chips';
import type { AfterReset, BeforeReset } from '../flash/api';
import type { FlashPlan } from './flash_plan';

export const BEFORE_VALUES: readonly BeforeReset[] = ['default-reset', 'usb-reset', 'no-reset', 'no-reset-no-sync'];
export const AFTER_VALUES: readonly AfterReset[] = ['hard-reset', 'no-reset', 'no-reset-stub'];

export interface ConnectChoices {
  before?: BeforeReset | 'build';
  after?: AfterReset | 'build';
  /** true: the stub; false: the ROM loader; 'build'/undefined: as the build says (default the stub). */
  stub?: boolean | 'build';
  chip?: ChipName | 'auto';
}

export interface BuildConnect {
  before?: BeforeReset;
  after?: AfterReset;
  stub: boolean;
  chip?: ChipName | 'auto';
  /** Choices taken from the build, worth saying before connecting. */
  notes: string[];
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[]): T | undefined {
  if (!value) return undefined;
  const v = value.trim().toLowerCase().replace(/_/g, '-');
  return (allowed as readonly string[]).includes(v) ? (v as T) : undefined;
}

export function connectFromBuild(plan: FlashPlan | undefined, user: ConnectChoices): BuildConnect {
  const notes: string[] = [];
  const before = user.before && user.before !== 'build' ? user.before : oneOf(plan?.before, BEFORE_VALUES);
  const after = user.after && user.after !== 'build' ? user.after : oneOf(plan?.after, AFTER_VALUES);
  let stub = true;
  if (typeof user.stub === 'boolean') stub = user.stub;
  else if (plan?.stub === false) {
    stub = false;
    notes.push('The build asks for the ROM loader (stub: false); using it.');
  }
  const chip = user.chip && user.chip !== 'auto' ? user.chip : (plan?.chip ?? user.chip);
  const out: BuildConnect = { stub, notes };
  if (before) out.before = before;
  if (after) out.after = after;
  if (chip) out.chip = chip;
  return out;
}
