/**
 * Every dialog the extension shows goes through here: modal confirmations, notifications,
 * quick picks and input boxes. Tests queue answers through the API (DialogQueue), so no dialog
 * blocks an automated run; every dialog is recorded either way.
 */
import * as vscode from 'vscode';
import { DialogQueue, matchItem, type DialogKind } from './dialog_queue';

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

export class Prompter {
  readonly queue = new DialogQueue();

  /** A modal message; resolves with the button chosen (undefined: cancelled). */
  async modal(kind: MessageKind, message: string, detail: string, ...items: string[]): Promise<string | undefined> {
    const queued = this.queue.take();
    const rec = this.queue.record({ kind, modal: true, message, detail, items, queued: !!queued });
    const answer = queued ? queued.answer : await show(kind, message, { modal: true, detail }, items);
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

  async pick<T extends vscode.QuickPickItem & { value?: string }>(
    items: T[],
    options: vscode.QuickPickOptions,
  ): Promise<T | undefined> {
    const queued = this.queue.take();
    const rec = this.queue.record({
      kind: 'quickPick',
      modal: false,
      message: options.title ?? options.placeHolder ?? '',
      items: items.filter((i) => i.kind !== vscode.QuickPickItemKind.Separator).map((i) => i.value ?? i.label),
      queued: !!queued,
    });
    const chosen = queued
      ? matchItem(items.filter((i) => i.kind !== vscode.QuickPickItemKind.Separator), queued.answer)
      : await vscode.window.showQuickPick(items, options);
    rec.answer = chosen ? (chosen.value ?? chosen.label) : undefined;
    return chosen;
  }

  async input(options: vscode.InputBoxOptions): Promise<string | undefined> {
    const queued = this.queue.take();
    const rec = this.queue.record({ kind: 'input', modal: false, message: options.prompt ?? options.title ?? '', items: [], queued: !!queued });
    let answer: string | undefined;
    if (queued) {
      answer = queued.answer;
      const invalid = answer !== undefined ? await options.validateInput?.(answer) : undefined;
      if (invalid) answer = undefined;
    } else {
      answer = await vscode.window.showInputBox(options);
    }
    rec.answer = answer;
    return answer;
  }
}
