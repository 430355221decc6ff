/**
 * Flash, Flash (Encrypted), Flash Segment, Flash Segment (Encrypted): the plan (or one
 * segment) plain, or with the checked segments encrypted in the configured mode.
 */
import * as vscode from 'vscode';
import { flashResultError } from '../error_advice';
import type { FlashResult, WriteSegment } from '../../core/flash/api';
import { parseCommandArgs, type CommandArgs } from '../command_args';
import type { Ctx, LoadedProject } from '../ctx';
import { flashOptionsFrom } from '../flash_options';
import { runJob } from '../job_runner';
import { resultSummaryLines, type LogLine } from '../output_log';
import { resolvePort } from '../port_picker';
import { hostKeyReady, planCheckPasses, projectWithPlan, requireTrust, type CommandFactory } from './common';

export interface FlashKind {
  encrypted: boolean;
  /** One segment (from the tree row or `segment`), not the whole plan. */
  oneSegment: boolean;
}

export function commandOf(kind: FlashKind): string {
  if (kind.oneSegment) return kind.encrypted ? 'espFlasher.flashSegmentEncrypted' : 'espFlasher.flashSegment';
  return kind.encrypted ? 'espFlasher.flashEncrypted' : 'espFlasher.flash';
}

export function operationName(kind: FlashKind, segment?: string): string {
  const base = kind.oneSegment ? `Flash Segment${segment ? ` "${segment}"` : ''}` : 'Flash';
  return kind.encrypted ? `${base} (Encrypted)` : base;
}

async function chooseSegment(ctx: Ctx, project: LoadedProject): Promise<string | undefined> {
  const items = project.view.plan.segments.map((s) => ({
    label: s.name,
    description: `0x${s.offset.toString(16)} · ${s.bytes.length} bytes`,
    value: s.name,
  }));
  return (await ctx.prompter.pick(items, { title: 'ESP Flasher: Flash Segment', placeHolder: 'Segment to flash' }))?.value;
}

/** The whole flow; tasks call it with `echo` to mirror lines into their terminal. */
export async function runFlash(
  ctx: Ctx,
  args: CommandArgs & { onPort?: (port: string) => void },
  kind: FlashKind,
  echo?: (line: LogLine) => void,
): Promise<FlashResult | undefined> {
  let operation = operationName(kind);
  if (!(await requireTrust(ctx, operation))) return undefined;
  const project = await projectWithPlan(ctx, args, operation);
  if (!project) return undefined;
  const plan = project.view.plan;
  const settings = ctx.settings(project.folder);

  let only: string | undefined;
  if (kind.oneSegment) {
    only = args.segment ?? (await chooseSegment(ctx, project));
    if (!only) return undefined;
    if (!plan.segments.some((s) => s.name === only)) {
      const names = plan.segments.map((s) => s.name).join(', ');
      await ctx.prompter.modal('error', `There is no segment "${only}" in the flash plan.`, `Segments: ${names}. Refresh the plan if the build changed.`);
      return undefined;
    }
    operation = operationName(kind, only);
  }

  const key = ctx.choicesKey() ?? project.folder;
  const overrides = kind.encrypted ? (only ? { [only]: true } : ctx.choices.overrides(key)) : undefined;
  let segments: WriteSegment[] = ctx.core.segmentsFromPlan(plan, kind.encrypted ? 'encrypted' : 'plain', settings.encryptionMode, overrides);
  if (only) segments = segments.filter((s) => s.name === only);
  if (segments.length === 0) {
    await ctx.prompter.modal('warning', `${operation}: no segment to write.`, 'The plan has no segment that matches. Refresh the plan.');
    return undefined;
  }

  const wsFolder = ctx.workspaceFolderOf(project.folder)?.uri.fsPath ?? project.folder;
  if (!(await hostKeyReady(ctx, operation, segments, settings, wsFolder))) return undefined;

  const port = await resolvePort(ctx, args.port, plan.chip);
  if (!port) {
    ctx.log('warn', `${operation}: no port chosen, nothing was written.`);
    return undefined;
  }
  args.onPort?.(port);
  // Re-run exactly this (kind, segment, folder; the port only when it was asked for) from the status bar.
  const again: CommandArgs = {};
  if (args.port) again.port = args.port;
  if (args.folder) again.folder = args.folder;
  if (only) again.segment = only;
  ctx.lastRun = { command: commandOf(kind), title: operation, args: [again] };
  if (!(await planCheckPasses(ctx, plan, port, operation, segments))) return undefined;

  const encryptedNames = segments.filter((s) => s.encrypt !== 'off').map((s) => `${s.name} (${s.encrypt})`);
  const summary = `${segments.map((s) => s.name).join(', ')}${encryptedNames.length ? `; encrypted: ${encryptedNames.join(', ')}` : '; all plain'}`;
  ctx.log('info', `${operation} → ${port}: ${summary}`);
  if (kind.encrypted && encryptedNames.length === 0) {
    ctx.log('warn', `${operation}: no segment is checked for encryption, so everything is written plain. Check the segments to encrypt in the Flash Plan.`);
  }

  let resetHow: string | undefined;
  const result = await runJob(ctx, {
    operation,
    port,
    totalBytes: segments.reduce((n, s) => n + s.bytes.length, 0),
    canOverride: true,
    force: args.force,
    echo,
    encrypted: segments.some((s) => s.encrypt !== 'off'),
    onFix: (fix) => {
      const target = commandOf({ ...kind, encrypted: fix === 'flash-encrypted' });
      void vscode.commands.executeCommand(target, again);
    },
    run: (signal, onEvent, force) =>
      ctx.core.flashSegments(
        segments,
        flashOptionsFrom(settings, plan, {
          port,
          folder: wsFolder,
          signal,
          onEvent: (e) => {
            if (e.kind === 'reset') resetHow = e.how;
            onEvent(e);
          },
          force,
          deviceCache: ctx.deviceCache,
        }),
      ),
    failure: (r) => (r.ok ? undefined : { error: flashResultError(r, 'the device did not accept every segment (see the ESP Flasher output)'), cancelled: r.cancelled }),
    seconds: (r) => r.seconds,
  });
  if (result) {
    ctx.lastFlashResult = result;
    const lines = resultSummaryLines(result);
    ctx.logLines(lines);
    if (echo) for (const l of lines) echo(l);
    if (result.ok && resetHow?.startsWith('none')) offerResetAndMonitor(ctx, operation, port, resetHow);
  }
  return result;
}

/**
 * The flash ended without a reset (ESP-IDF's flash-encryption builds ask for "after: no_reset"):
 * the chip waits in its loader. Offer to reset it into the new firmware and watch it boot.
 */
function offerResetAndMonitor(ctx: Ctx, operation: string, port: string, how: string): void {
  const where = /stub/.test(how) ? 'flasher stub' : 'loader';
  ctx.prompter.notify(
    'info',
    `${operation} finished; the chip is staying in the ${where} (the build asks for no reset after flashing). Reset it into the new firmware and monitor it?`,
    [RESET_AND_MONITOR],
    () => void vscode.commands.executeCommand('espFlasher.resetAndMonitor', { port }),
  );
}

export const RESET_AND_MONITOR = 'Reset and Monitor';

export const flash: CommandFactory =
  (ctx) =>
  (...a) =>
    runFlash(ctx, parseCommandArgs(a), { encrypted: false, oneSegment: false });
export const flashEncrypted: CommandFactory =
  (ctx) =>
  (...a) =>
    runFlash(ctx, parseCommandArgs(a), { encrypted: true, oneSegment: false });
export const flashSegment: CommandFactory =
  (ctx) =>
  (...a) =>
    runFlash(ctx, parseCommandArgs(a), { encrypted: false, oneSegment: true });
export const flashSegmentEncrypted: CommandFactory =
  (ctx) =>
  (...a) =>
    runFlash(ctx, parseCommandArgs(a), { encrypted: true, oneSegment: true });
