/** Steps several commands share: workspace trust, the project to flash, the plan check. */
import * as vscode from 'vscode';
import type { ChipName } from '../../core/chips';
import type { WriteSegment } from '../../core/flash/api';
import type { FlashPlan } from '../../core/plan/flash_plan';
import type { CommandArgs } from '../command_args';
import type { Ctx, LoadedProject } from '../ctx';
import { openSetting } from '../config';
import { errorText } from '../error_advice';
import { hostKeyFrom, type Settings } from '../flash_options';
import { loadProject } from '../project_loader';

export type Handler = (...args: unknown[]) => unknown;
export type CommandFactory = (ctx: Ctx) => Handler;

/** Flashing and erasing write workspace files to hardware: only in a trusted workspace. */
export async function requireTrust(ctx: Ctx, operation: string): Promise<boolean> {
  if (vscode.workspace.isTrusted) return true;
  const manage = 'Manage Workspace Trust';
  const a = await ctx.prompter.modal(
    'warning',
    `${operation} needs a trusted workspace.`,
    'ESP Flasher writes this workspace’s build output to hardware, so it only does that once you trust the workspace. ' + 'The Flash Plan and Device views work without trust.',
    manage,
  );
  if (a === manage) void vscode.commands.executeCommand('workbench.trust.manage');
  return false;
}

/** The project to work on (re-read when a folder is given or none is loaded), with segments. */
export async function projectWithPlan(ctx: Ctx, args: CommandArgs, operation: string): Promise<LoadedProject | undefined> {
  if (args.folder || !ctx.project) await loadProject(ctx, args.folder);
  const p = ctx.project;
  if (!p || p.view.plan.segments.length === 0) {
    const pick = 'Pick Build Folder';
    const looked = p?.view.looked.length ? ` Looked for: ${p.view.looked.join(', ')}.` : '';
    const why = ctx.projectError ?? `No build output found in ${ctx.projectFolder() ?? 'the workspace'}.${looked}`;
    ctx.log('warn', `${operation}: ${why}`);
    const a = await ctx.prompter.modal('warning', `${operation}: nothing to flash.`, `${why}\n\nBuild the project, or point ESP Flasher at the build output.`, pick);
    if (a === pick) void vscode.commands.executeCommand('espFlasher.pickBuildFolder');
    return undefined;
  }
  return p;
}

/**
 * The core's plan check with what is known about the device on this port. Errors stop the
 * job with a modal that lists them; warnings go to the output.
 */
export async function planCheckPasses(ctx: Ctx, plan: FlashPlan, port: string, operation: string, segments: WriteSegment[] = []): Promise<boolean> {
  const device = ctx.device && ctx.device.port === port ? ctx.device.info : undefined;
  let problems;
  try {
    problems = ctx.core.checkPlan(plan, {
      deviceFlashSize: device?.flashSize,
      connectedChip: device?.chip as ChipName | undefined,
      deviceEncryption: device?.flashEncryption,
      encryptChoice: (s) => segments.find((w) => w.name === s.name && w.offset === s.offset)?.encrypt ?? 'off',
    });
    // The rules of src/core/rules are judged again by the flash job with the device's own facts:
    // it refuses them, typed, and the job runner offers the override where one is allowed.
    problems = problems.filter((p) => !p.code);
  } catch (e) {
    ctx.log('warn', `${operation}: the plan check failed to run (${errorText(e)}); the device checks still apply.`);
    return true;
  }
  for (const p of problems.filter((x) => x.severity === 'warning')) ctx.log('warn', `Plan: ${p.message}`);
  const errors = problems.filter((x) => x.severity === 'error');
  if (errors.length === 0) return true;
  for (const p of errors) ctx.log('error', `Plan: ${p.message}`);
  await ctx.prompter.modal(
    'error',
    `${operation}: the flash plan has ${errors.length === 1 ? 'an error' : `${errors.length} errors`}; nothing was written.`,
    errors.map((p) => `• ${p.message}${p.file ? ` (${p.file})` : ''}`).join('\n'),
  );
  return false;
}

/** Segments encrypted on the host need a key setting: when it is missing, says so (modal) and returns false. */
export async function hostKeyReady(ctx: Ctx, operation: string, segments: WriteSegment[], settings: Settings, wsFolder: string): Promise<boolean> {
  if (!segments.some((s) => s.encrypt === 'host') || hostKeyFrom(settings, wsFolder)) return true;
  const open = 'Open Settings';
  const a = await ctx.prompter.modal(
    'error',
    `${operation}: encryption mode "host" needs a key.`,
    'Set "ESP Flasher › Encryption: Key File" (the flash-encryption key, raw bytes as espsecure writes them) or ' +
      '"Key Folder" (per-device keys named <mac>.bin), or switch "Encryption: Mode" to "device". Nothing was written.',
    open,
  );
  if (a === open) await openSetting('keyFile');
  return false;
}
