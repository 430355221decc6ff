/**
 * Reads the project through the core, publishes its problems to the Problems panel, and
 * re-reads it by itself when the build output changes (debounced file watchers).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Problem } from '../core/plan/problem';
import type { Ctx } from './ctx';
import { errorText } from './error_advice';

export type PlanState = 'noFolder' | 'loading' | 'none' | 'ok';

const DEBOUNCE_MS = 600;
const TEXT_FILE = /\.(json|csv|ini|toml|txt|cmake)$|_args$/i;

/** Best effort: the line of a text file that mentions the problem's field (its last dotted part). */
function lineOf(file: string, field: string | undefined): number {
  if (!field || !TEXT_FILE.test(file)) return 0;
  try {
    const stat = fs.statSync(file);
    if (stat.size > 1024 * 1024) return 0;
    const needle = field.split('.').pop() ?? field;
    const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
    const at = lines.findIndex((l) => l.includes(`"${needle}"`) || l.includes(needle));
    return Math.max(0, at);
  } catch {
    return 0;
  }
}

export function publishProblems(ctx: Ctx, problems: Problem[]): void {
  ctx.diagnostics.clear();
  const byFile = new Map<string, vscode.Diagnostic[]>();
  for (const p of problems) {
    if (!p.file) continue;
    const line = lineOf(p.file, p.field);
    const d = new vscode.Diagnostic(
      new vscode.Range(line, 0, line, 0),
      p.field ? `${p.message} (${p.field})` : p.message,
      p.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning,
    );
    d.source = 'ESP Flasher';
    const list = byFile.get(p.file) ?? [];
    list.push(d);
    byFile.set(p.file, list);
  }
  for (const [file, list] of byFile) ctx.diagnostics.set(vscode.Uri.file(file), list);
}

let loading: Promise<void> | undefined;
let again = false;

/** Reads (or re-reads) the project; concurrent calls coalesce into one more read. */
export async function loadProject(ctx: Ctx, explicitFolder?: string): Promise<void> {
  if (explicitFolder) await ctx.rememberProjectFolder(explicitFolder);
  if (loading) {
    again = true;
    return loading;
  }
  loading = (async () => {
    do {
      again = false;
      await readOnce(ctx);
    } while (again);
  })().finally(() => {
    loading = undefined;
  });
  return loading;
}

async function readOnce(ctx: Ctx): Promise<void> {
  const folder = ctx.projectFolder();
  if (!folder) {
    ctx.setProject(undefined);
    publishProblems(ctx, []);
    await ctx.setContext('espFlasher.planState', 'noFolder' satisfies PlanState);
    return;
  }
  if (!ctx.project) await ctx.setContext('espFlasher.planState', 'loading' satisfies PlanState);
  const buildDir = ctx.buildFolderSetting(folder);
  try {
    const view = await ctx.core.readProject(folder, buildDir);
    ctx.setProject({ folder, buildDirOverride: buildDir, view, loadedAt: new Date() });
    publishProblems(ctx, view.problems);
    const state: PlanState = view.plan.segments.length ? 'ok' : 'none';
    await ctx.setContext('espFlasher.planState', state);
    await ctx.setContext('espFlasher.hasPlan', state === 'ok');
    ctx.log(
      'info',
      state === 'ok'
        ? `Flash plan: ${view.plan.segments.length} segments from ${view.buildDir ?? folder} (${view.kind}).`
        : `No build output in ${folder}. Looked for: ${view.looked.join(', ') || '(nothing)'}.`,
    );
  } catch (e) {
    const message = `Could not read the project in ${folder}: ${errorText(e)}`;
    ctx.log('error', message);
    ctx.setProject(undefined, message);
    publishProblems(ctx, []);
    await ctx.setContext('espFlasher.planState', 'none' satisfies PlanState);
    await ctx.setContext('espFlasher.hasPlan', false);
  }
}

/**
 * Watches the build output (and, while there is none, the folder for a first build) and
 * re-reads the project a moment after the last change.
 */
export class BuildWatcher implements vscode.Disposable {
  private watchers: vscode.FileSystemWatcher[] = [];
  private timer?: NodeJS.Timeout;
  private watchedKey = '';
  private readonly sub: vscode.Disposable;

  constructor(private readonly ctx: Ctx) {
    this.sub = ctx.onDidChangeProject(() => this.rewatch());
    this.rewatch();
  }

  private rewatch(): void {
    const folder = this.ctx.project?.folder ?? this.ctx.projectFolder();
    const buildDir = this.ctx.project?.view.buildDir ?? this.ctx.project?.buildDirOverride;
    const key = `${folder}|${buildDir}`;
    if (key === this.watchedKey) return;
    this.watchedKey = key;
    this.disposeWatchers();
    if (!folder) return;
    const patterns: vscode.RelativePattern[] = [new vscode.RelativePattern(vscode.Uri.file(folder), '**/{flasher_args.json,idedata.json,firmware.bin,partitions.bin,*.elf}')];
    if (buildDir && path.relative(folder, buildDir).startsWith('..')) {
      patterns.push(new vscode.RelativePattern(vscode.Uri.file(buildDir), '**/*.{bin,json,elf}'));
    } else if (buildDir) {
      // Images and the Rust ELF (no extension) directly in or below the build folder.
      patterns.push(new vscode.RelativePattern(vscode.Uri.file(buildDir), '{*,**/*.bin}'));
    }
    for (const p of patterns) {
      const w = vscode.workspace.createFileSystemWatcher(p);
      const poke = () => this.schedule();
      w.onDidChange(poke);
      w.onDidCreate(poke);
      w.onDidDelete(poke);
      this.watchers.push(w);
    }
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void loadProject(this.ctx);
    }, DEBOUNCE_MS);
  }

  private disposeWatchers(): void {
    for (const w of this.watchers) w.dispose();
    this.watchers = [];
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.disposeWatchers();
    this.sub.dispose();
  }
}
