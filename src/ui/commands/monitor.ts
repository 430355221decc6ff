/**
 * ESP Flasher: Monitor, Flash and Monitor (the monitor opens first, so the whole boot shows), and
 * Reset and Monitor (offered when a flash left the chip in its loader).
 */
import { parseCommandArgs } from '../command_args';
import { openMonitorTerminal, resetAndMonitor as resetIntoAppAndMonitor } from '../monitor_terminal';
import { resolvePort } from '../port_picker';
import { runFlash } from './flash';
import type { CommandFactory } from './common';

export const monitor: CommandFactory =
  (ctx) =>
  async (...a) => {
    const args = parseCommandArgs(a);
    const port = await resolvePort(ctx, args.port, ctx.project?.view.plan.chip);
    if (port) await openMonitorTerminal(ctx, port);
  };

export const flashAndMonitor: CommandFactory =
  (ctx) =>
  async (...a) => {
    const args = parseCommandArgs(a);
    const port = await resolvePort(ctx, args.port, ctx.project?.view.plan.chip);
    if (!port) return undefined;
    await openMonitorTerminal(ctx, port, false);
    return runFlash(ctx, { ...args, port }, { encrypted: false, oneSegment: false });
  };

export const resetAndMonitor: CommandFactory =
  (ctx) =>
  async (...a) => {
    const args = parseCommandArgs(a);
    const port = await resolvePort(ctx, args.port, ctx.project?.view.plan.chip);
    if (port) await resetIntoAppAndMonitor(ctx, port);
  };
