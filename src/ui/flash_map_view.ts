/** "Show Flash Map": a webview picture of the flash, kept up to date with the plan and the device. */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { PlanSegment } from '../core/plan/flash_plan';
import type { Ctx } from './ctx';
import { flashMapHtml } from './flash_map_html';
import { buildFlashMap } from './flash_map_model';

export class FlashMapView implements vscode.Disposable {
  private panel?: vscode.WebviewPanel;
  private html?: string;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly ctx: Ctx) {
    this.disposables.push(
      ctx.onDidChangeProject(() => this.panel && this.render()),
      ctx.onDidChangeDevice(() => this.panel && this.render()),
    );
  }

  /** The HTML last rendered (tests read it). */
  get lastHtml(): string | undefined {
    return this.html;
  }

  async show(): Promise<string | undefined> {
    const p = this.ctx.project;
    if (!p || p.view.plan.segments.length === 0) {
      await this.ctx.prompter.modal('warning', 'No flash plan to draw.', this.ctx.projectError ?? 'Build the project or pick its build folder first.');
      return undefined;
    }
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel('espFlasher.flashMap', 'Flash Map', vscode.ViewColumn.Active, {
        enableScripts: false,
        localResourceRoots: [],
      });
      this.panel.iconPath = vscode.Uri.joinPath(this.ctx.extension.extensionUri, 'media', 'icon.png');
      this.panel.onDidDispose(() => (this.panel = undefined), undefined, this.disposables);
    } else {
      this.panel.reveal();
    }
    this.render();
    return this.html;
  }

  private render(): void {
    const p = this.ctx.project;
    if (!this.panel || !p) return;
    const key = this.ctx.choicesKey() ?? p.folder;
    const isEncrypted = (s: PlanSegment) => this.ctx.choices.effective(key, s);
    const map = buildFlashMap({
      segments: p.view.plan.segments,
      partitions: p.view.plan.partitions,
      sizeSetting: p.view.plan.settings.size,
      deviceFlashSize: this.ctx.device?.info.flashSize,
      isEncrypted,
    });
    const nonce = randomBytes(16).toString('base64');
    this.html = flashMapHtml(map, {
      title: `Flash map — ${this.ctx.workspaceRelative(p.view.buildDir ?? p.folder)} (orange = checked to encrypt with Flash (Encrypted))`,
      cspSource: this.panel.webview.cspSource,
      nonce,
    });
    this.panel.webview.html = this.html;
  }

  dispose(): void {
    this.panel?.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
