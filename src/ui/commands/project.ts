/** Refresh, Pick Build Folder, Reset Encrypt Checkboxes, Reveal File, Show Output, Cancel. */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { parseCommandArgs } from '../command_args';
import { loadProject } from '../project_loader';
import type { CommandFactory } from './common';

/** Re-reads the project (or reads `{ folder }`); resolves with the number of segments found. */
export const refresh: CommandFactory =
  (ctx) =>
  async (...a): Promise<number> => {
    const args = parseCommandArgs(a);
    await loadProject(ctx, args.folder);
    return ctx.project?.view.plan.segments.length ?? 0;
  };

export const pickBuildFolder: CommandFactory =
  (ctx) =>
  async (...a) => {
    const args = parseCommandArgs(a);
    let folder = args.folder;
    if (!folder) {
      const picked = await vscode.window.showOpenDialog({
        canSelectFolders: true,
        canSelectFiles: false,
        canSelectMany: false,
        title: 'ESP Flasher: the project or its build output (build/, .pio/build/<env>, target/<triple>/<profile>)',
        openLabel: 'Use This Folder',
        defaultUri: ctx.project ? vscode.Uri.file(ctx.project.folder) : vscode.workspace.workspaceFolders?.[0]?.uri,
      });
      folder = picked?.[0]?.fsPath;
    }
    if (!folder) return undefined;
    ctx.log('info', `Project folder: ${folder}`);
    await loadProject(ctx, folder);
    return folder;
  };

export const resetEncryptChoices: CommandFactory = (ctx) => async () => {
  const key = ctx.choicesKey();
  if (!key) return;
  await ctx.choices.reset(key);
  ctx.log('info', 'Encrypt checkboxes are back to the build’s defaults.');
  ctx.projectViewsChanged();
};

export const revealFile: CommandFactory =
  (ctx) =>
  async (...a) => {
    const file = parseCommandArgs(a).file;
    if (!file || !fs.existsSync(file)) {
      await ctx.prompter.modal('error', `The file ${file ?? '(none)'} does not exist.`, 'Refresh the Flash Plan: the build output may have changed.');
      return;
    }
    const uri = vscode.Uri.file(file);
    if (vscode.workspace.getWorkspaceFolder(uri)) await vscode.commands.executeCommand('revealInExplorer', uri);
    else await vscode.commands.executeCommand('revealFileInOS', uri);
  };

export const showOutput: CommandFactory = (ctx) => () => ctx.output.show(true);

/** Cancels the job on `{ port }`, or every running job. */
export const cancel: CommandFactory =
  (ctx) =>
  (...a) => {
    const { port } = parseCommandArgs(a);
    const any = ctx.cancelJobs(port);
    if (any) ctx.log('warn', `Cancel requested${port ? ` for ${port}` : ''}.`);
    return any;
  };
