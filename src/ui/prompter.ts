/**
 * Every dialog the extension shows goes through here: modal confirmations, notifications,
 * quick picks and input boxes. Tests queue answers through the API (DialogQueue), so no dialog
 * blocks an automated run; every dialog is recorded either way.
 */
import * as vscode from 'vscode';
import { DialogQueue, matchItem, singleAnswer, type DialogKind } from './dialog_queue';

type MessageKind = Extract<DialogKind, 'info' | 'warning' | 'error'>;

function show(kind: MessageKind, message: string, options: vscode.MessageOptions, items: string[]): Thenable<string | undefined> {
  switch (kind) {
    case 'info':
      return vscode.window.showInformationMessage(message, options, ...items);
    case 'warning':
      return vscode.window.showWarningMessage(message, options, ...items);
    case 'error':
      return vscode.window.showErrorMessage(message, options, ...items);
  }
}

/** showQuickPick, but with the `active` item preselected (showQuickPick always selects the first). */
function showPick<T extends vscode.QuickPickItem & { active?: boolean }>(items: T[], options: vscode.QuickPickOptions): Promise<T | undefined> {
  const qp = vscode.window.createQuickPick<T>();
  qp.title = options.title;
  qp.placeholder = options.placeHolder;
  qp.matchOnDescription = !!options.matchOnDescription;
  qp.matchOnDetail = !!options.matchOnDetail;
  qp.ignoreFocusOut = !!options.ignoreFocusOut;
  qp.items = items;
  const active = items.find((i) => i.active && i.kind !== vscode.QuickPickItemKind.Separator);
  if (active) qp.activeItems = [active];
  return new Promise<T | undefined>((resolve) => {
    let chosen: T | undefined;
    qp.onDidAccept(() => {
      chosen = qp.selectedItems[0] ?? qp.activeItems[0];
      qp.hide();
    });
    qp.onDidHide(() => {
      qp.dispose();
      resolve(chosen);
    });
    qp.show();
  });
}

function showPickMany<T extends vscode.QuickPickItem>(items: T[], options: vscode.QuickPickOptions): Promise<T[] | undefined> {
  const qp = vscode.window.createQuickPick<T>();
  qp.title = options.title;
  qp.placeholder = options.placeHolder;
  qp.canSelectMany = true;
  qp.matchOnDescription = !!options.matchOnDescription;
  qp.matchOnDetail = !!options.matchOnDetail;
  qp.ignoreFocusOut = true;
  qp.items = items;
  qp.selectedItems = items.filter((i) => i.picked);
  return new Promise<T[] | undefined>((resolve) => {
    let chosen: T[] | undefined;
    qp.onDidAccept(() => {
      chosen = [...qp.selectedItems];
      qp.hide();
    });
    qp.onDidHide(() => {
      qp.dispose();
      resolve(chosen);
    });
    qp.show();
  });
}

export class Prompter {
  readonly queue = new DialogQueue();

  /** A modal message; resolves with the button chosen (undefined: cancelled). */
  async modal(kind: MessageKind, message: string, detail: string, ...items: string[]): Promise<string | undefined> {
    const queued = this.queue.take();
    const rec = this.queue.record({ kind, modal: true, message, detail, items, queued: !!queued });
    const answer = queued ? singleAnswer(queued.answer) : await show(kind, message, { modal: true, detail }, items);
    rec.answer = answer;
    return answer;
  }

  /** A non-blocking notification; buttons run `onAnswer` when clicked. Never awaited by commands. */
  notify(kind: MessageKind, message: string, items: string[] = [], onAnswer?: (item: string) => void): void {
    const rec = this.queue.record({ kind, modal: false, message, items });
    void show(kind, message, {}, items).then((answer) => {
      rec.answer = answer;
      if (answer && onAnswer) onAnswer(answer);
    });
  }

  /** A quick pick; the item with `active: true` is the one selected when it opens (Enter takes it). */
  async pick<T extends vscode.QuickPickItem & { value?: string; active?: boolean }>(items: T[], options: vscode.QuickPickOptions): Promise<T | undefined> {
    const queued = this.queue.take();
    const rec = this.queue.record({
      kind: 'quickPick',
      modal: false,
      message: options.title ?? options.placeHolder ?? '',
      items: items.filter((i) => i.kind !== vscode.QuickPickItemKind.Separator).map((i) => i.value ?? i.label),
      active: items.filter((i) => i.active).map((i) => i.value ?? i.label)[0],
      queued: !!queued,
    });
    const chosen = queued
      ? matchItem(
          items.filter((i) => i.kind !== vscode.QuickPickItemKind.Separator),
          singleAnswer(queued.answer),
        )
      : await showPick(items, options);
    rec.answer = chosen ? (chosen.value ?? chosen.label) : undefined;
    return chosen;
  }

  /**
   * A multi-select quick pick (checkboxes); items with `picked: true` start checked. Resolves
   * with the items checked when accepted, undefined when dismissed. A queued answer names the
   * items (a list, or one string).
   */
  async pickMany<T extends vscode.QuickPickItem & { value?: string }>(items: T[], options: vscode.QuickPickOptions): Promise<T[] | undefined> {
    const queued = this.queue.take();
    const choosable = items.filter((i) => i.kind !== vscode.QuickPickItemKind.Separator);
    const rec = this.queue.record({
      kind: 'quickPick',
      modal: false,
      message: options.title ?? options.placeHolder ?? '',
      items: choosable.map((i) => i.value ?? i.label),
      queued: !!queued,
    });
    let chosen: T[] | undefined;
    if (queued) {
      const names = queued.answer === undefined ? undefined : Array.isArray(queued.answer) ? queued.answer : [queued.answer];
      chosen = names?.map((n) => matchItem(choosable, n)).filter((i): i is T => !!i);
    } else chosen = await showPickMany(items, options);
    rec.answer = chosen ? chosen.map((i) => i.value ?? i.label).join(', ') : undefined;
    return chosen;
  }

  async input(options: vscode.InputBoxOptions): Promise<string | undefined> {
    const queued = this.queue.take();
    const rec = this.queue.record({ kind: 'input', modal: false, message: options.prompt ?? options.title ?? '', items: [], queued: !!queued });
    let answer: string | undefined;
    if (queued) {
      answer = singleAnswer(queued.answer);
      const invalid = answer !== undefined ? await options.validateInput?.(answer) : undefined;
      if (invalid) answer = undefined;
    } else {
      answer = await vscode.window.showInputBox(options);
    }
    rec.answer = answer;
    return answer;
  }
}
