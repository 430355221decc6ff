/**
 * The connection options a flash or verify job uses: the command line's, else what the build
 * asks for (before/after reset, stub or ROM, chip).
 */
import type { ChipName } from '../core/chips';
import type { AfterReset, BeforeReset, ConnectOptions } from '../core/flash/api';
import type { FlashPlan } from '../core/plan/flash_plan';
import { Options } from './args';
import { AFTER_CHOICES, BEFORE_CHOICES, connectOptionsFrom } from './connect_options';

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[]): T | undefined {
  if (!value) return undefined;
  const v = value.trim().toLowerCase().replace(/_/g, '-');
  return (allowed as readonly string[]).includes(v) ? (v as T) : undefined;
}

export interface JobConnect {
  connect: ConnectOptions;
  /** Notes on choices taken from the build (printed before connecting). */
  notes: string[];
}

export function jobConnectOptions(o: Options, plan: FlashPlan | undefined, userChip: ChipName | 'auto'): JobConnect {
  const connect = connectOptionsFrom(o);
  const notes: string[] = [];
  if (userChip === 'auto' && plan?.chip) connect.chip = plan.chip;
  if (!connect.before) {
    const b = oneOf<BeforeReset>(plan?.before, BEFORE_CHOICES);
    if (b) connect.before = b;
  }
  if (!connect.after) {
    const a = oneOf<AfterReset>(plan?.after, AFTER_CHOICES);
    if (a) connect.after = a;
  }
  if (o.has('stub')) {
    connect.stub = true;
    connect.stubRequired = true;
  }
  else if (connect.stub === undefined && plan?.stub === false) {
    connect.stub = false;
    notes.push('The build asks for the ROM loader (stub: false); using it. Add --stub to use the faster flasher stub.');
  }
  return { connect, notes };
}
