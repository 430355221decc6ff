/** Read Device Info: chip, revision, MAC, flash size and security state into the Device view (read only). */
import type { DeviceInfo } from '../../core/flash/api';
import { parseCommandArgs } from '../command_args';
import { deviceRows } from '../device_rows';
import { flashOptionsFrom } from '../flash_options';
import { runJob } from '../job_runner';
import { resolvePort } from '../port_picker';
import type { CommandFactory } from './common';

export const readDeviceInfo: CommandFactory =
  (ctx) =>
  async (...a): Promise<DeviceInfo | undefined> => {
    const args = parseCommandArgs(a);
    const plan = ctx.project?.view.plan;
    const port = await resolvePort(ctx, args.port, plan?.chip);
    if (!port) return undefined;
    const settings = ctx.settings();
    const info = await runJob(ctx, {
      operation: 'Read Device Info',
      port,
      canOverride: false,
      run: (signal, onEvent) => ctx.core.readDeviceInfo(flashOptionsFrom(settings, plan, { port, signal, onEvent })),
    });
    if (!info) return undefined;
    const readAt = new Date();
    ctx.setDevice({ port, info, readAt });
    for (const r of deviceRows(port, info, readAt)) ctx.log('info', `  ${r.label}: ${r.value}`);
    return info;
  };
