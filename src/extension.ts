/** Entry point: wires the UI layer together; every piece lives in src/ui. */
// First: the clock for the bundle's own load time (activateMs / loadMs on the test API).
import { LOAD_STARTED } from './ui/load_clock';
import * as vscode from 'vscode';
import { makeApi, type EspFlasherApi } from './ui/api';
import { registerCommands } from './ui/commands';
import { affectsBuild, affectsUs } from './ui/config';
import { createCore } from './ui/core_impl';
import { Ctx } from './ui/ctx';
import { DeviceView } from './ui/device_view';
import { FlashMapView } from './ui/flash_map_view';
import { registerFrameLinks } from './ui/monitor_terminal';
import { PlanTree } from './ui/plan_tree';
import { BuildWatcher, loadProject } from './ui/project_loader';
import { StatusBar } from './ui/status_bar';
import { registerTaskProvider } from './ui/task_provider';

/** Module evaluation of the bundle up to here (before activate() is called). */
const LOAD_MS = performance.now() - LOAD_STARTED;

export function activate(context: vscode.ExtensionContext): EspFlasherApi & { readonly activateMs: number; readonly loadMs: number } {
  // The extension's own activate() time (reported by the extension-host test): the core loads
  // lazily (src/ui/core_impl.ts imports the flasher on first use) and the build is read async.
  const started = performance.now();
  const ctx = new Ctx(context, createCore(context.extensionUri.fsPath));
  context.subscriptions.push(ctx);
  const tree = new PlanTree(ctx);
  const device = new DeviceView(ctx);
  const status = new StatusBar(ctx);
  const map = new FlashMapView(ctx);
  ctx.subscriptions.push(
    tree,
    device,
    status,
    map,
    new BuildWatcher(ctx),
    registerTaskProvider(ctx),
    ...registerCommands(ctx, map),
    registerFrameLinks(ctx),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (affectsBuild(e)) void loadProject(ctx);
      else if (affectsUs(e)) ctx.portSettingChanged();
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => void loadProject(ctx)),
  );
  void ctx.setContext('espFlasher.hasPort', !!ctx.port);
  void ctx.setContext('espFlasher.deviceRead', false);
  void ctx.setContext('espFlasher.flashing', false);
  // Reading the build output is asynchronous: activation returns at once.
  const firstLoad = loadProject(ctx);
  const api = makeApi({
    ctx,
    tree,
    device,
    status,
    map,
    refresh: async (folder) => {
      await firstLoad;
      await loadProject(ctx, folder);
    },
  });
  return Object.assign(api, { activateMs: performance.now() - started, loadMs: LOAD_MS });
}

export function deactivate(): void {
  // Everything is in context.subscriptions (the Ctx disposes its own and aborts a running job).
}
