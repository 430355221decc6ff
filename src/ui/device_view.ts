/**
 * The Device view: what the last connection read on the chosen port (read only) and, after a
 * Flash All, a row per device (progress while it runs, result and why at the end; its record's
 * details underneath), with the device read last under one collapsed row.
 */
import * as vscode from 'vscode';
import type { Ctx } from './ctx';
import { deviceRows, type DeviceRow } from './device_rows';
import { lineHeadline, lineRows, type LineDetail, type LineRow } from './line_rows';

/** Progress ticks redraw at most this often; phase changes and results at once. */
const REDRAW_MS = 250;

export type DeviceNode =
  { kind: 'fact'; row: DeviceRow } | { kind: 'line'; row: LineRow } | { kind: 'detail'; port: string; index: number; detail: LineDetail } | { kind: 'facts'; port: string };

export class DeviceView implements vscode.TreeDataProvider<DeviceNode>, vscode.Disposable {
  readonly view: vscode.TreeView<DeviceNode>;
  private readonly changed = new vscode.EventEmitter<DeviceNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private rowsCache: DeviceRow[] = [];
  private lineCache: LineRow[] = [];
  private redraw: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly ctx: Ctx) {
    this.view = vscode.window.createTreeView('espFlasher.device', { treeDataProvider: this });
    this.disposables.push(
      this.view,
      this.changed,
      ctx.onDidChangeDevice(() => this.recompute()),
      ctx.onDidChangePort(() => this.recompute()),
      ctx.line.onChange((urgent) => (urgent ? this.recompute() : this.later())),
    );
    this.recompute();
  }

  /** The device facts (what the last connection read). */
  rows(): DeviceRow[] {
    return this.rowsCache;
  }

  /** The Flash All rows as shown now (a row per device), and the line above them. */
  lineRows(): LineRow[] {
    return this.lineCache;
  }

  get message(): string | undefined {
    return this.view.message;
  }

  private later(): void {
    this.redraw ??= setTimeout(() => this.recompute(), REDRAW_MS);
  }

  private recompute(): void {
    clearTimeout(this.redraw);
    this.redraw = undefined;
    const d = this.ctx.device;
    this.rowsCache = d ? deviceRows(d.port, d.info, d.readAt) : [];
    const run = this.ctx.line.run;
    this.lineCache = run ? lineRows(run) : [];
    const port = this.ctx.port;
    if (run) this.view.message = lineHeadline(run);
    else this.view.message = d && port && d.port !== port ? `Read from ${d.port}; the chosen port is now ${port}. Read again to refresh.` : undefined;
    this.view.description = port ?? '';
    this.changed.fire(undefined);
  }

  getTreeItem(node: DeviceNode): vscode.TreeItem {
    switch (node.kind) {
      case 'fact': {
        const row = node.row;
        const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.None);
        item.description = row.value;
        item.tooltip = row.tooltip ? `${row.label}: ${row.value}\n${row.tooltip}` : `${row.label}: ${row.value}`;
        item.iconPath = new vscode.ThemeIcon(row.icon, row.attention ? new vscode.ThemeColor('problemsWarningIcon.foreground') : undefined);
        item.contextValue = 'deviceFact';
        return item;
      }
      case 'line': {
        const row = node.row;
        const item = new vscode.TreeItem(row.label, row.details.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        item.id = `line:${row.port}`;
        item.description = row.description;
        item.tooltip = row.tooltip;
        const colour = row.state === 'ok' ? 'testing.iconPassed' : row.state === 'running' || row.state === 'waiting' ? undefined : 'problemsErrorIcon.foreground';
        item.iconPath = new vscode.ThemeIcon(row.icon, colour ? new vscode.ThemeColor(colour) : undefined);
        item.contextValue = `lineDevice.${row.state}${row.overridable ? '.overridable' : ''}`;
        return item;
      }
      case 'detail': {
        const item = new vscode.TreeItem(node.detail.label, vscode.TreeItemCollapsibleState.None);
        // By position: a label repeats (one "Refused" row per refusal), and ids must be unique in the tree.
        item.id = `line:${node.port}:${node.index}`;
        item.description = node.detail.value;
        item.tooltip = `${node.detail.label}: ${node.detail.value}`;
        return item;
      }
      case 'facts': {
        const item = new vscode.TreeItem('Device read last', vscode.TreeItemCollapsibleState.Collapsed);
        item.id = 'facts';
        item.description = node.port;
        item.iconPath = new vscode.ThemeIcon('circuit-board');
        return item;
      }
    }
  }

  getChildren(node?: DeviceNode): DeviceNode[] {
    const facts = (): DeviceNode[] => this.rowsCache.map((row) => ({ kind: 'fact', row }));
    if (!node) {
      if (!this.ctx.line.run) return facts();
      const rows: DeviceNode[] = this.lineCache.map((row) => ({ kind: 'line', row }));
      const d = this.ctx.device;
      if (d) rows.push({ kind: 'facts', port: d.port });
      return rows;
    }
    if (node.kind === 'facts') return facts();
    if (node.kind === 'line') {
      const row = this.lineCache.find((r) => r.port === node.row.port) ?? node.row;
      return row.details.map((detail, index) => ({ kind: 'detail', port: row.port, index, detail }));
    }
    return [];
  }

  dispose(): void {
    clearTimeout(this.redraw);
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
