/**
 * The extension's long-lived state and disposables: the output channel (and its lines for
 * tests), the loaded project, the chosen port, the device read last, the last flash result,
 * the flash state, port locks, encrypt choices and the dialogs. Views and commands read and
 * change state only through here and listen to its events.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DeviceInfo, FlashResult } from '../core/flash/api';
import { EncryptChoices } from './checkbox_store';
import { DurableMemento } from './durable_memento';
import type { DeviceCacheStore } from '../core/flash/device_cache';
import { globalStorageDeviceCache } from './device_cache_store';
import { readSettings } from './config';
import type { CoreApi } from './core_api';
import type { Settings } from './flash_options';
import { resolveSettingPath } from './flash_options';
import type { FlashState } from './flash_state';
import type { LogLevel, LogLine } from './output_log';
import type { ProjectView } from './plan_rows';
import { LineState } from './line_state';
import { PortLocks } from './port_locks';
import { Prompter } from './prompter';

const MAX_LINES = 5000;
const PORT_KEY = 'espFlasher.port';
const FOLDER_KEY = 'espFlasher.projectFolder';

export interface LoadedProject {
  /** Folder the project was read from. */
  folder: string;
  /** Build folder override passed to the reader, if any. */
  buildDirOverride?: string;
  view: ProjectView;
  loadedAt: Date;
}

export interface DeviceRecord {
  port: string;
  info: DeviceInfo;
  readAt: Date;
}

/** What the status-bar item re-runs after a job: the command and its arguments, as last run. */
export interface LastRun {
  command: string;
  /** "Flash (Encrypted)", "Flash Segment \"app\"", … */
  title: string;
  args: unknown[];
}

export class Ctx implements vscode.Disposable {
  readonly output: vscode.LogOutputChannel;
  readonly locks = new PortLocks();
  /** The last Flash All run (a row per device in the Device view). */
  readonly line = new LineState();
  readonly choices: EncryptChoices;
  readonly prompter = new Prompter();
  readonly diagnostics: vscode.DiagnosticCollection;
  readonly subscriptions: vscode.Disposable[] = [];

  project?: LoadedProject;
  projectError?: string;
  device?: DeviceRecord;
  lastFlashResult?: FlashResult;
  /** The flash last started (plan, one segment, a file): a click on the status item runs it again. */
  lastRun?: LastRun;
  state: FlashState = { phase: 'idle', percent: 0 };
  /** Running jobs by port; aborting one cancels it (notification, status bar, API, task). */
  readonly jobs = new Map<string, AbortController>();

  private readonly lines: string[] = [];
  private flashingContext?: boolean;
  private readonly projectChanged = new vscode.EventEmitter<void>();
  private readonly stateChanged = new vscode.EventEmitter<FlashState>();
  private readonly deviceChanged = new vscode.EventEmitter<void>();
  private readonly portChanged = new vscode.EventEmitter<string | undefined>();
  readonly onDidChangeProject = this.projectChanged.event;
  readonly onDidChangeState = this.stateChanged.event;
  readonly onDidChangeDevice = this.deviceChanged.event;
  readonly onDidChangePort = this.portChanged.event;

  constructor(
    readonly extension: vscode.ExtensionContext,
    readonly core: CoreApi,
  ) {
    this.output = vscode.window.createOutputChannel('ESP Flasher', { log: true });
    this.diagnostics = vscode.languages.createDiagnosticCollection('espFlasher');
    // workspaceState, made durable against a reload right after a click (VS Code for the web).
    const stateFile = extension.storageUri?.scheme === 'file' ? path.join(extension.storageUri.fsPath, 'encrypt-choices.json') : undefined;
    this.choices = new EncryptChoices(new DurableMemento(extension.workspaceState, stateFile, (m) => this.log('warn', m)));
    this.subscriptions.push(this.output, this.diagnostics, this.projectChanged, this.stateChanged, this.deviceChanged, this.portChanged);
  }

  private cacheStore: DeviceCacheStore | undefined;

  /** The device cache (what was last written to each device), in the extension's global storage. */
  get deviceCache(): DeviceCacheStore {
    return (this.cacheStore ??= globalStorageDeviceCache(this.extension.globalStorageUri));
  }

  // ---- output -------------------------------------------------------------------------

  log(level: LogLevel, text: string): void {
    this.output[level](text);
    this.lines.push(level === 'info' ? text : `${level}: ${text}`);
    if (this.lines.length > MAX_LINES) this.lines.splice(0, this.lines.length - MAX_LINES);
  }

  logLines(lines: LogLine[]): void {
    for (const l of lines) this.log(l.level, l.text);
  }

  outputLines(): string[] {
    return [...this.lines];
  }

  // ---- settings, folders, port --------------------------------------------------------

  /** The folder to read the project from: an explicit one, the remembered one, else the first workspace folder. */
  projectFolder(explicit?: string): string | undefined {
    if (explicit) return explicit;
    const remembered = this.extension.workspaceState.get<string>(FOLDER_KEY);
    if (remembered) return remembered;
    return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  }

  async rememberProjectFolder(folder: string | undefined): Promise<void> {
    await this.extension.workspaceState.update(FOLDER_KEY, folder);
  }

  /** The workspace folder a path lies in (for per-folder settings). */
  workspaceFolderOf(p: string | undefined): vscode.WorkspaceFolder | undefined {
    if (!p) return vscode.workspace.workspaceFolders?.[0];
    return vscode.workspace.getWorkspaceFolder(vscode.Uri.file(p)) ?? vscode.workspace.workspaceFolders?.[0];
  }

  settings(forPath?: string): Settings {
    return readSettings(this.workspaceFolderOf(forPath ?? this.project?.folder)?.uri);
  }

  /** Build folder override from the settings, absolute. */
  buildFolderSetting(folder: string): string | undefined {
    const wf = this.workspaceFolderOf(folder);
    return resolveSettingPath(this.settings(folder).buildFolder, wf?.uri.fsPath ?? folder);
  }

  /** The port chosen with Select Port (remembered per workspace), else the setting. */
  get port(): string | undefined {
    return this.extension.workspaceState.get<string>(PORT_KEY) || this.settings().port || undefined;
  }

  async setPort(port: string | undefined): Promise<void> {
    await this.extension.workspaceState.update(PORT_KEY, port);
    this.portChanged.fire(this.port);
    await this.setContext('espFlasher.hasPort', !!this.port);
  }

  // ---- project, device, state ---------------------------------------------------------

  /** The port setting changed: views re-read the port. */
  portSettingChanged(): void {
    this.portChanged.fire(this.port);
    void this.setContext('espFlasher.hasPort', !!this.port);
  }

  setProject(project: LoadedProject | undefined, error?: string): void {
    this.project = project;
    this.projectError = error;
    this.projectChanged.fire();
  }

  /** Re-render views after encrypt choices changed. */
  projectViewsChanged(): void {
    this.projectChanged.fire();
  }

  setDevice(device: DeviceRecord | undefined): void {
    this.device = device;
    this.deviceChanged.fire();
    void this.setContext('espFlasher.deviceRead', !!device);
  }

  setState(next: Partial<FlashState> & { phase: FlashState['phase'] }, replace = false): void {
    this.state = replace ? { percent: 0, ...next } : { ...this.state, ...next };
    this.stateChanged.fire(this.state);
    const flashing = this.state.phase === 'flashing';
    if (flashing !== this.flashingContext) {
      this.flashingContext = flashing;
      void this.setContext('espFlasher.flashing', flashing);
    }
  }

  /** Cancels the job on `port`, or every running job; says whether there was one. */
  cancelJobs(port?: string): boolean {
    const targets = port ? [this.jobs.get(port)].filter((j): j is AbortController => !!j) : [...this.jobs.values()];
    for (const j of targets) j.abort();
    return targets.length > 0;
  }

  async setContext(key: string, value: unknown): Promise<void> {
    await vscode.commands.executeCommand('setContext', key, value);
  }

  /** The build folder key for encrypt choices: the project's build folder or its folder. */
  choicesKey(): string | undefined {
    const p = this.project;
    if (!p) return undefined;
    return p.view.buildDir ?? p.buildDirOverride ?? p.folder;
  }

  /** A path as the user knows it: relative to its workspace folder (absolute when outside every folder). */
  workspaceRelative(p: string): string {
    const rel = vscode.workspace.asRelativePath(p, (vscode.workspace.workspaceFolders?.length ?? 0) > 1);
    return rel === '' ? '.' : rel;
  }

  relative(p: string): string {
    const base = this.project?.folder;
    if (!base) return p;
    const rel = path.relative(base, p);
    return rel.startsWith('..') ? p : rel;
  }

  dispose(): void {
    this.cancelJobs();
    for (const d of this.subscriptions.splice(0).reverse()) {
      try {
        d.dispose();
      } catch {
        // keep disposing the rest
      }
    }
  }
}
