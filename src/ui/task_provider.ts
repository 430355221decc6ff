/**
 * Tasks "esp-flasher: flash" and "esp-flasher: flash-encrypted" so tasks.json can chain
 * build → flash. They run in-process (CustomExecution) through the same flow as the
 * commands, mirror the log into the task terminal and exit non-zero on failure.
 */
import * as vscode from 'vscode';
import { runFlash } from './commands/flash';
import type { Ctx } from './ctx';
import type { LogLine } from './output_log';

export const TASK_TYPE = 'esp-flasher';

interface FlashTaskDefinition extends vscode.TaskDefinition {
  task: 'flash' | 'flash-encrypted';
  port?: string;
  folder?: string;
}

class FlashTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;

  constructor(
    private readonly ctx: Ctx,
    private readonly def: FlashTaskDefinition,
    private readonly folder: string | undefined,
  ) {}

  private write(l: LogLine): void {
    const prefix = l.level === 'error' ? '\x1b[31m' : l.level === 'warn' ? '\x1b[33m' : '';
    this.writeEmitter.fire(`${prefix}${l.text}${prefix ? '\x1b[0m' : ''}\r\n`);
  }

  open(): void {
    void this.run();
  }

  private port?: string;

  private async run(): Promise<void> {
    let code = 1;
    try {
      const result = await runFlash(
        this.ctx,
        { port: this.def.port, folder: this.def.folder ?? this.folder, onPort: (p) => (this.port = p) },
        { encrypted: this.def.task === 'flash-encrypted', oneSegment: false },
        (l) => this.write(l),
      );
      code = result?.ok ? 0 : 1;
      if (!result) this.write({ level: 'error', text: 'Nothing was flashed (see the ESP Flasher output).' });
    } catch (e) {
      this.write({ level: 'error', text: String((e as Error).message ?? e) });
    }
    this.closeEmitter.fire(code);
  }

  close(): void {
    // Closing the task terminal cancels this task's job only.
    if (this.port) this.ctx.cancelJobs(this.port);
  }
}

export function registerTaskProvider(ctx: Ctx): vscode.Disposable {
  const make = (def: FlashTaskDefinition, scope: vscode.WorkspaceFolder | vscode.TaskScope.Workspace): vscode.Task => {
    const folder = typeof scope === 'object' ? scope.uri.fsPath : undefined;
    const task = new vscode.Task(def, scope, def.task, TASK_TYPE, new vscode.CustomExecution(async (resolved) => new FlashTerminal(ctx, resolved as FlashTaskDefinition, folder)));
    task.detail = def.task === 'flash' ? 'Flash every segment plain' : 'Flash the checked segments encrypted, the others plain';
    task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, clear: true };
    return task;
  };
  return vscode.tasks.registerTaskProvider(TASK_TYPE, {
    provideTasks: () => {
      const folders = vscode.workspace.workspaceFolders ?? [];
      const scopes: Array<vscode.WorkspaceFolder | vscode.TaskScope.Workspace> = folders.length ? [...folders] : [vscode.TaskScope.Workspace];
      return scopes.flatMap((s) => [make({ type: TASK_TYPE, task: 'flash' }, s), make({ type: TASK_TYPE, task: 'flash-encrypted' }, s)]);
    },
    resolveTask: (task) => {
      const def = task.definition as FlashTaskDefinition;
      if (def.task !== 'flash' && def.task !== 'flash-encrypted') return undefined;
      const scope = task.scope && typeof task.scope === 'object' ? task.scope : vscode.TaskScope.Workspace;
      return make(def, scope);
    },
  });
}
