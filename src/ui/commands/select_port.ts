/** Select Port: quick pick (or `{ port }` from a caller), remembered per workspace. */
import { parseCommandArgs } from '../command_args';
import { pickPort } from '../port_picker';
import type { CommandFactory } from './common';

export const selectPort: CommandFactory =
  (ctx) =>
  async (...a) => {
    const args = parseCommandArgs(a);
    const port = args.port ?? (await pickPort(ctx, ctx.project?.view.plan.chip));
    if (!port) return undefined;
    await ctx.setPort(port);
    ctx.log('info', `Port: ${port}`);
    if (ctx.device && ctx.device.port !== port) ctx.setDevice(undefined);
    return port;
  };
