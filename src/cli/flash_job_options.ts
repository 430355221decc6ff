/**
 * The connection options a flash or verify job uses: the command line's, merged with what the
 * build asks for (before/after reset, stub or ROM, chip) by the core's connectFromBuild.
 */
import type { ChipName } from '../core/chips';
import type { ConnectOptions } from '../core/flash/api';
import { connectFromBuild } from '../core/plan/build_connect';
import type { FlashPlan } from '../core/plan/flash_plan';
import { Options } from './args';
import { connectOptionsFrom } from './connect_options';

export interface JobConnect {
  connect: ConnectOptions;
  /** Notes on choices taken from the build (printed before connecting). */
  notes: string[];
}

export function jobConnectOptions(o: Options, plan: FlashPlan | undefined, userChip: ChipName | 'auto'): JobConnect {
  const connect = connectOptionsFrom(o);
  const merged = connectFromBuild(plan, { before: connect.before, after: connect.after, stub: o.has('stub') ? true : connect.stub, chip: userChip });
  if (merged.chip) connect.chip = merged.chip;
  if (merged.before) connect.before = merged.before;
  if (merged.after) connect.after = merged.after;
  if (!merged.stub) connect.stub = false;
  // --stub insists: a stub that does not start is an error, not a fallback to the ROM loader.
  if (o.has('stub')) connect.stubRequired = true;
  const notes = merged.notes.map((n) => (n.includes('ROM loader') ? `${n} Add --stub to use the faster flasher stub.` : n));
  return { connect, notes };
}
