/**
 * The Flash Plan tree: one row per segment with an "encrypt" checkbox (build default, user
 * changes kept per workspace), image-less partitions without a checkbox, and plan problems.
 */
import * as vscode from 'vscode';
import type { PlanSegment } from '../core/plan/flash_plan';
import type { Ctx } from './ctx';
import { judgedView, planHeadline, planRows, type ImageSummary, type PlanRow, type ProjectView } from './plan_rows';

export class PlanTree implements vscode.TreeDataProvider<PlanRow>, vscode.Disposable {
  readonly view: vscode.TreeView<PlanRow>;
  private rowsCache: PlanRow[] = [];
  private readonly changed = new vscode.EventEmitter<PlanRow | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly imageCache = new WeakMap<Uint8Array, ImageSummary | null>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly ctx: Ctx) {
    this.view = vscode.window.createTreeView('espFlasher.plan', {
      treeDataProvider: this,
      manageCheckboxStateManually: true,
      showCollapseAll: false,
    });
    this.disposables.push(
      this.view,
      this.changed,
      this.view.onDidChangeCheckboxState((e) => {
        void this.onCheckboxes(e.items.map(([row, state]) => [row, state === vscode.TreeItemCheckboxState.Checked]));
      }),
      ctx.onDidChangeProject(() => this.recompute()),
      // The rules judge with the device read last on the chosen port (Read Device Info).
      ctx.onDidChangeDevice(() => this.recompute()),
      ctx.onDidChangePort(() => this.recompute()),
    );
    this.recompute();
  }

  /** Whether "Flash (Encrypted)" encrypts this segment (user choice, else build default). */
  isChecked(seg: PlanSegment): boolean {
    const key = this.ctx.choicesKey();
    return key ? this.ctx.choices.effective(key, seg) : seg.encrypt;
  }

  /** Same path as a click on the checkbox (the test API uses it). */
  async setEncrypt(segmentName: string, encrypt: boolean): Promise<void> {
    const row = this.rowsCache.find((r) => r.kind === 'segment' && r.segmentName === segmentName);
    if (!row) {
      const names = this.rowsCache.filter((r) => r.kind === 'segment').map((r) => r.segmentName);
      throw new Error(`No segment "${segmentName}" in the flash plan. Segments: ${names.join(', ') || 'none (no build output)'}.`);
    }
    await this.onCheckboxes([[row, encrypt]]);
  }

  private async onCheckboxes(items: Array<[PlanRow, boolean]>): Promise<void> {
    const key = this.ctx.choicesKey();
    const plan = this.ctx.project?.view.plan;
    if (!key || !plan) return;
    for (const [row, checked] of items) {
      const seg = plan.segments.find((s) => s.name === row.segmentName);
      if (!seg) continue;
      await this.ctx.choices.set(key, seg, checked);
      this.ctx.log('info', `Encrypt ${seg.name}: ${checked ? 'on' : 'off'}${checked === seg.encrypt ? ' (the build default)' : ''}.`);
    }
    this.ctx.projectViewsChanged();
  }

  rows(): PlanRow[] {
    return this.rowsCache;
  }

  get headline(): string | undefined {
    return this.view.message;
  }

  private describe(seg: PlanSegment): ImageSummary | undefined {
    const cached = this.imageCache.get(seg.bytes);
    if (cached !== undefined) return cached ?? undefined;
    const summary = this.ctx.core.describeImage(seg, this.ctx.project?.view.plan.chip);
    this.imageCache.set(seg.bytes, summary ?? null);
    return summary;
  }

  /** The project's problems as the tree shows them: with the device's facts once it was read on the chosen port. */
  private judged(view: ProjectView): ProjectView {
    try {
      const key = this.ctx.choicesKey();
      const mode = this.ctx.settings(this.ctx.project?.folder).encryptionMode;
      return judgedView(view, this.ctx.device, this.ctx.port, { mode, ...(key ? { overrides: this.ctx.choices.overrides(key) } : {}) }, this.ctx.core);
    } catch (e) {
      this.ctx.log('warn', `Flash Plan: the device checks could not run (${(e as Error).message}); the flash job still runs them.`);
      return view;
    }
  }

  private recompute(): void {
    const p = this.ctx.project;
    if (!p) {
      this.rowsCache = [];
      this.view.message = this.ctx.projectError;
    } else {
      this.rowsCache = planRows(
        this.judged(p.view),
        (s) => this.isChecked(s),
        (s) => this.describe(s),
      );
      this.view.message = planHeadline(p.view, (x) => this.ctx.workspaceRelative(x));
    }
    const segments = this.rowsCache.filter((r) => r.kind === 'segment');
    const encrypted = segments.filter((r) => r.checked).length;
    this.view.description = segments.length ? `☑ = encrypt (${encrypted} of ${segments.length})` : undefined;
    // The activity-bar badge is for attention only: errors in the plan, never a plain count of segments.
    const errors = this.rowsCache.filter((r) => r.kind === 'problem' && r.severity === 'error').length;
    this.view.badge = errors
      ? { value: errors, tooltip: `${errors} error${errors === 1 ? '' : 's'} in the flash plan: nothing can be flashed until ${errors === 1 ? 'it is' : 'they are'} fixed` }
      : undefined;
    this.changed.fire(undefined);
  }

  getTreeItem(row: PlanRow): vscode.TreeItem {
    const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.None);
    item.id = row.id;
    item.description = row.description;
    item.tooltip = row.tooltip;
    item.contextValue = row.contextValue + (row.file ? '.file' : '');
    const color = row.kind === 'problem' ? new vscode.ThemeColor(row.severity === 'error' ? 'problemsErrorIcon.foreground' : 'problemsWarningIcon.foreground') : undefined;
    item.iconPath = new vscode.ThemeIcon(row.icon, color);
    if (row.kind === 'segment') {
      item.checkboxState = {
        state: row.checked ? vscode.TreeItemCheckboxState.Checked : vscode.TreeItemCheckboxState.Unchecked,
        tooltip: row.checked
          ? `Encrypt: on. "Flash (Encrypted)" writes ${row.label} encrypted (uncheck to write it plain).`
          : `Encrypt: off. "Flash (Encrypted)" writes ${row.label} plain (check to encrypt it).`,
      };
      item.accessibilityInformation = { label: `${row.label}, ${row.description}, encrypt ${row.checked ? 'on' : 'off'}` };
    }
    if (row.kind === 'problem' && row.file) {
      item.command = { command: 'vscode.open', title: 'Open File', arguments: [vscode.Uri.file(row.file)] };
    }
    return item;
  }

  getChildren(row?: PlanRow): PlanRow[] {
    return row ? [] : this.rowsCache;
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
