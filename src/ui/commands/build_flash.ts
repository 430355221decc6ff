/**
 * Build and Flash, Build and Flash (Encrypted), Build, Flash and Monitor: the project's build runs
 * as a task in the terminal (idf.py / pio / cargo, or the ESP-IDF extension's build command when
 * it is installed); when it ends well the plan is read again and flashed (with the monitor opened
 * first for the last one, so the whole boot of the new firmware shows).
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { FlashResult } from '../../core/flash/api';
import { buildCommand, type BuildCommand } from '../build_command';
import { parseCommandArgs, type CommandArgs } from '../command_args';
import type { Ctx } from '../ctx';
import { openMonitorTerminal } from '../monitor_terminal';
import { resolvePort } from '../port_picker';
import { loadProject } from '../project_loader';
import { runFlash } from './flash';
import { requireTrust, type CommandFactory } from './common';

export const BUILD_TASK_TYPE = 'esp-flasher-build';
const ESP_IDF_EXTENSION = 'espressif.esp-idf-extension';

/** Runs the build as a task; resolves with its exit code (undefined: it ended without one, e.g. terminated). */
export async function runBuildTask(ctx: Ctx, build: BuildCommand): Promise<number | undefined> {
  const scope = ctx.workspaceFolderOf(build.cwd) ?? vscode.TaskScope.Workspace;
  const task = new vscode.Task(
    { type: BUILD_TASK_TYPE, tool: build.tool },
    scope,
    build.text,
    'ESP Flasher',
    new vscode.ShellExecution(build.command, build.args, { cwd: build.cwd }),
  );
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated, clear: true };
  task.group = vscode.TaskGroup.Build;
  let execution: vscode.TaskExecution | undefined;
  const early: Array<{ execution: vscode.TaskExecution; code: number | undefined }> = [];
  let settle: ((code: number | undefined) => void) | undefined;
  const ended = new Promise<number | undefined>((resolve) => (settle = resolve));
  const finish = (e: vscode.TaskExecution, code: number | undefined) => {
    if (!execution) early.push({ execution: e, code });
    else if (e === execution || e.task === execution.task) settle?.(code);
  };
  // A process end carries the exit code; a task end without a process (it failed to start, or was terminated) has none.
  const subs = [vscode.tasks.onDidEndTaskProcess((e) => finish(e.execution, e.exitCode)), vscode.tasks.onDidEndTask((e) => finish(e.execution, undefined))];
  try {
    ctx.log('info', `Build: ${build.text} (in ${build.cwd})`);
    execution = await vscode.tasks.executeTask(task);
    const already = early.find((x) => x.execution === execution || x.execution.task === execution!.task);
    if (already) return already.code;
    return await ended;
  } finally {
    for (const s of subs) s.dispose();
  }
}

async function buildAndFlash(ctx: Ctx, args: CommandArgs, encrypted: boolean, monitor = false): Promise<FlashResult | undefined> {
  const operation = monitor ? 'Build, Flash and Monitor' : encrypted ? 'Build and Flash (Encrypted)' : 'Build and Flash';
  if (!(await requireTrust(ctx, operation))) return undefined;
  if (args.folder || !ctx.project) await loadProject(ctx, args.folder);
  const folder = ctx.project?.folder ?? ctx.projectFolder(args.folder);
  if (!folder) {
    await ctx.prompter.modal('warning', `${operation}: open a project folder first.`, 'ESP Flasher builds ESP-IDF, PlatformIO and cargo projects.');
    return undefined;
  }
  const view = ctx.project?.view;
  const idfExtension = view?.kind === 'esp-idf' ? vscode.extensions.getExtension(ESP_IDF_EXTENSION) : undefined;
  if (idfExtension) {
    ctx.log('info', `Build: the ESP-IDF extension's "Build your project" (espIdf.buildDevice).`);
    try {
      await vscode.commands.executeCommand('espIdf.buildDevice');
    } catch (e) {
      await ctx.prompter.modal('error', `${operation}: the ESP-IDF extension's build failed; nothing was flashed.`, String((e as Error).message ?? e));
      return undefined;
    }
  } else {
    const build = buildCommand(view, folder, (p) => fs.existsSync(p));
    if (!build) {
      await ctx.prompter.modal(
        'warning',
        `${operation}: no build tool known for ${ctx.workspaceRelative(folder)}.`,
        'ESP Flasher runs idf.py build (a CMakeLists.txt project), pio run (platformio.ini) or cargo build (Cargo.toml). Build by hand, then use Flash.',
      );
      return undefined;
    }
    const code = await runBuildTask(ctx, build);
    if (code !== 0) {
      const why = code === undefined ? 'it was stopped, or could not start' : `it exited with code ${code}`;
      ctx.log('error', `${operation}: the build failed (${why}); nothing was flashed.`);
      ctx.prompter.notify('error', `${operation}: "${build.text}" failed (${why}); nothing was flashed. See the terminal.`);
      return undefined;
    }
  }
  // The build wrote new output: read the plan again before flashing it.
  await loadProject(ctx, args.folder);
  ctx.log('info', `${operation}: build done; flashing the plan read again at ${ctx.project?.loadedAt.toLocaleTimeString() ?? 'now'}.`);
  if (!monitor) return runFlash(ctx, args, { encrypted, oneSegment: false });
  // The monitor opens first (without resetting the chip); the flash borrows its port and resets into the new firmware.
  const port = await resolvePort(ctx, args.port, ctx.project?.view.plan.chip);
  if (!port) return undefined;
  await openMonitorTerminal(ctx, port, false);
  return runFlash(ctx, { ...args, port }, { encrypted, oneSegment: false });
}

export const buildFlash: CommandFactory =
  (ctx) =>
  (...a) =>
    buildAndFlash(ctx, parseCommandArgs(a), false);
export const buildFlashEncrypted: CommandFactory =
  (ctx) =>
  (...a) =>
    buildAndFlash(ctx, parseCommandArgs(a), true);
export const buildFlashMonitor: CommandFactory =
  (ctx) =>
  (...a) =>
    buildAndFlash(ctx, parseCommandArgs(a), false, true);
