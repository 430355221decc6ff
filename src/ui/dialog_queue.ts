/**
 * Answers for dialogs queued by tests (through the extension's API), and a record of every
 * dialog shown, so a test can drive modal confirmations and quick picks without clicks.
 * No vscode here.
 */

export type DialogKind = 'info' | 'warning' | 'error' | 'quickPick' | 'input';

export interface DialogRecord {
  kind: DialogKind;
  modal: boolean;
  message: string;
  detail?: string;
  items: string[];
  /** Quick picks: the item selected when it opened (its value or label). */
  active?: string;
  /** What was answered (undefined: dismissed or not awaited). */
  answer?: string;
  /** The answer came from the queue, not from a person. */
  queued: boolean;
}

/** A button/item label; several items for a multi-select pick; undefined to dismiss. */
export type QueuedAnswer = string | string[] | undefined;

/** The one answer a single-choice dialog takes (the first of several). */
export function singleAnswer(a: QueuedAnswer): string | undefined {
  return Array.isArray(a) ? a[0] : a;
}

export class DialogQueue {
  private readonly answers: QueuedAnswer[] = [];
  readonly records: DialogRecord[] = [];

  /** Queue answers for the next blocking dialogs: a button/item label (several for a multi-select pick), or undefined to dismiss. */
  push(...answers: QueuedAnswer[]): void {
    this.answers.push(...answers);
  }

  get pending(): number {
    return this.answers.length;
  }

  /** Takes the next queued answer, if any: `{ answer }`, or undefined when none is queued. */
  take(): { answer: QueuedAnswer } | undefined {
    if (this.answers.length === 0) return undefined;
    return { answer: this.answers.shift() };
  }

  record(r: Omit<DialogRecord, 'queued'> & { queued?: boolean }): DialogRecord {
    const rec: DialogRecord = { queued: false, ...r };
    this.records.push(rec);
    if (this.records.length > 200) this.records.shift();
    return rec;
  }
}

/**
 * Finds the item a queued answer names: its label (codicons stripped), its description, or
 * its `value` (a port path, a segment name).
 */
export function matchItem<T extends { label: string; description?: string; value?: string }>(items: readonly T[], answer: string | undefined): T | undefined {
  if (answer === undefined) return undefined;
  const plain = (s: string | undefined) => (s ?? '').replace(/\$\([^)]*\)\s*/g, '').trim();
  return items.find((i) => i.value === answer) ?? items.find((i) => plain(i.label) === answer) ?? items.find((i) => plain(i.description) === answer);
}
