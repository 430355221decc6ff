/**
 * The status-bar items: the port (click picks a port), and next to it the flash button when idle, percent, segment and speed
 * while flashing (click cancels), success or failure afterwards (click runs again what was last
 * run: Flash (Encrypted) stays Flash (Encrypted), one segment stays that segment), then
 * "Flash & Monitor" (hidden while a job runs).
 */
import * as vscode from 'vscode';
import type { Ctx } from './ctx';
import { statusView } from './flash_state';
import { virtualLabel } from './port_items';
import { isVirtualPort } from './virtual_ports';

/** Short text for the port item: the path, or "Virtual ESP32-S3, flash encryption on". */
function portLabel(port: string): string {
  return isVirtualPort(port) ? virtualLabel(port) : port;
}

export class StatusBar implements vscode.Disposable {
  readonly item: vscode.StatusBarItem;
  /** The port, on its own: a click picks a port (it never starts a flash). */
  readonly portItem: vscode.StatusBarItem;
  /** Flash and Monitor, one click. */
  readonly monitorItem: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly ctx: Ctx) {
    this.portItem = vscode.window.createStatusBarItem('espFlasher.port', vscode.StatusBarAlignment.Left, 51);
    this.portItem.name = 'ESP Flasher Port';
    this.portItem.command = 'espFlasher.selectPort';
    this.item = vscode.window.createStatusBarItem('espFlasher.status', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'ESP Flasher';
    this.monitorItem = vscode.window.createStatusBarItem('espFlasher.flashAndMonitor', vscode.StatusBarAlignment.Left, 49);
    this.monitorItem.name = 'ESP Flasher: Flash and Monitor';
    this.monitorItem.text = '$(debug-console) Flash & Monitor';
    this.monitorItem.command = 'espFlasher.flashAndMonitor';
    this.disposables.push(
      this.portItem,
      this.item,
      this.monitorItem,
      ctx.onDidChangeState(() => this.render()),
      ctx.onDidChangePort(() => this.render()),
    );
    this.render();
    this.portItem.show();
    this.item.show();
  }

  get portText(): string {
    return this.portItem.text;
  }

  get text(): string {
    return this.item.text;
  }

  /** The Flash and Monitor item: its text and command, or undefined while hidden. */
  get monitorButton(): { text: string; command: string } | undefined {
    return this.monitorShown ? { text: this.monitorItem.text, command: 'espFlasher.flashAndMonitor' } : undefined;
  }

  private monitorShown = false;

  /** The command a click runs now (id and arguments). */
  get command(): { command: string; arguments?: unknown[] } | undefined {
    const c = this.item.command;
    if (!c) return undefined;
    return typeof c === 'string' ? { command: c } : { command: c.command, arguments: c.arguments };
  }

  private render(): void {
    const port = this.ctx.port;
    this.portItem.text = `$(plug) ${port ? portLabel(port) : 'Select Port'}`;
    this.portItem.tooltip = port ? `ESP Flasher port: ${port}\nClick to pick another port.` : 'ESP Flasher: no port chosen. Click to pick one.';
    const s = this.ctx.state;
    const last = this.ctx.lastRun;
    const v = statusView({ ...s, port: s.phase === 'idle' ? this.ctx.port : (s.port ?? this.ctx.port) }, last?.title);
    this.item.text = v.text;
    this.item.tooltip = s.phase === 'flashing' ? `${v.tooltip}\nClick to cancel.` : v.tooltip;
    this.item.backgroundColor =
      v.background === 'none' ? undefined : new vscode.ThemeColor(v.background === 'error' ? 'statusBarItem.errorBackground' : 'statusBarItem.warningBackground');
    this.item.command =
      s.phase === 'flashing' ? 'espFlasher.cancel' : last ? { command: last.command, title: `Run ${last.title} again`, arguments: last.args } : 'espFlasher.flash';
    this.monitorItem.tooltip = `ESP Flasher: Flash and Monitor${port ? ` on ${port}` : ''}: open the serial monitor, flash the build, watch it boot.`;
    this.monitorShown = s.phase !== 'flashing';
    if (this.monitorShown) this.monitorItem.show();
    else this.monitorItem.hide();
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
