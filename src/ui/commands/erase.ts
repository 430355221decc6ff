/** Erase Flash (whole chip) and Erase Partition (one partition's range), both after a modal confirmation. */
import { parseCommandArgs } from '../command_args';
import { flashOptionsFrom } from '../flash_options';
import { runJob } from '../job_runner';
import { formatSize, hexShort } from '../output_log';
import { resolvePort } from '../port_picker';
import { confirmDanger } from '../safety_dialogs';
import { requireTrust, type CommandFactory } from './common';

export const eraseFlash: CommandFactory =
  (ctx) =>
  async (...a): Promise<boolean | undefined> => {
    const args = parseCommandArgs(a);
    const operation = 'Erase Flash';
    if (!(await requireTrust(ctx, operation))) return undefined;
    const plan = ctx.project?.view.plan;
    const port = await resolvePort(ctx, args.port, plan?.chip);
    if (!port) return undefined;
    const known = ctx.device?.port === port ? ctx.device.info : undefined;
    const encNote =
      known && known.flashEncryption !== 'off'
        ? `\n\nThis device has flash encryption in ${known.flashEncryption} mode: after erasing, only correctly encrypted images will boot.`
        : '';
    const ok = await confirmDanger(
      ctx,
      `Erase the entire flash of the device on ${port}?`,
      'Everything in flash is erased: bootloader, partition table, firmware, NVS data and file systems. ' +
        `eFuses (keys, flash encryption, secure boot) are not changed. This cannot be undone.${encNote}`,
      'Erase Flash',
      args.yes,
    );
    if (!ok) return undefined;
    const settings = ctx.settings();
    const done = await runJob(ctx, {
      operation,
      port,
      canOverride: false,
      run: async (signal, onEvent) => {
        await ctx.core.eraseFlash(flashOptionsFrom(settings, plan, { port, signal, onEvent }));
        return true;
      },
    });
    if (done) ctx.log('info', `Flash erased on ${port}.`);
    return done;
  };

export const erasePartition: CommandFactory =
  (ctx) =>
  async (...a): Promise<boolean | undefined> => {
    const args = parseCommandArgs(a);
    const operation = `Erase Partition${args.partition ? ` "${args.partition}"` : ''}`;
    if (!(await requireTrust(ctx, operation))) return undefined;
    const plan = ctx.project?.view.plan;
    const part = plan?.partitions?.find((p) => p.label === args.partition) ?? plan?.segments.find((s) => s.partition?.label === args.partition)?.partition;
    if (!plan || !part) {
      await ctx.prompter.modal('error', `${operation}: no such partition in the plan.`, 'Pick a partition row in the Flash Plan (refresh it if the build changed).');
      return undefined;
    }
    const port = await resolvePort(ctx, args.port, plan.chip);
    if (!port) return undefined;
    const ok = await confirmDanger(
      ctx,
      `Erase partition "${part.label}" (${hexShort(part.offset)}, ${formatSize(part.size)}) on ${port}?`,
      `The ${part.typeName}/${part.subtypeName} partition is erased to 0xFF; everything stored there is lost. This cannot be undone.`,
      'Erase Partition',
      args.yes,
    );
    if (!ok) return undefined;
    const settings = ctx.settings();
    return runJob(ctx, {
      operation,
      port,
      canOverride: false,
      run: async (signal, onEvent) => {
        await ctx.core.eraseRegion(flashOptionsFrom(settings, plan, { port, signal, onEvent }), part.offset, part.size);
        return true;
      },
    });
  };
