/** The Device view: what "Read Device Info" found on the chosen port (read only). */
import * as vscode from 'vscode';
import type { Ctx } from './ctx';
import { deviceRows, type DeviceRow } from './device_rows';

export class DeviceView implements vscode.TreeDataProvider<DeviceRow>, vscode.Disposable {
  readonly view: vscode.TreeView<DeviceRow>;
  private readonly changed = new vscode.EventEmitter<DeviceRow | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private rowsCache: DeviceRow[] = [];
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly ctx: Ctx) {
    this.view = vscode.window.createTreeView('espFlasher.device', { treeDataProvider: this });
    this.disposables.push(
      this.view,
      this.changed,
      ctx.onDidChangeDevice(() => this.recompute()),
      ctx.onDidChangePort(() => this.recompute()),
    );
    this.recompute();
  }

  rows(): DeviceRow[] {
    return this.rowsCache;
  }

  private recompute(): void {
    const d = this.ctx.device;
    this.rowsCache = d ? deviceRows(d.port, d.info, d.readAt) : [];
    const port = this.ctx.port;
    this.view.message = d && port && d.port !== port ? `Read from ${d.port}; the chosen port is now ${port}. Read again to refresh.` : undefined;
    this.view.description = port ?? '';
    this.changed.fire(undefined);
  }

  getTreeItem(row: DeviceRow): vscode.TreeItem {
    const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.None);
    item.description = row.value;
    item.tooltip = row.tooltip ? `${row.label}: ${row.value}\n${row.tooltip}` : `${row.label}: ${row.value}`;
    item.iconPath = new vscode.ThemeIcon(row.icon, row.attention ? new vscode.ThemeColor('problemsWarningIcon.foreground') : undefined);
    item.contextValue = 'deviceFact';
    return item;
  }

  getChildren(row?: DeviceRow): DeviceRow[] {
    return row ? [] : this.rowsCache;
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
