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

export class DialogQueue {
  private readonly answers: Array<string | undefined> = [];
  readonly records: DialogRecord[] = [];

  /** Queue answers for the next blocking dialogs: a button/item label, or undefined to dismiss. */
  push(...answers: Array<string | undefined>): void {
    this.answers.push(...answers);
  }

  get pending(): number {
    return this.answers.length;
  }

  /** Takes the next queued answer, if any: `{ answer }`, or undefined when none is queued. */
  take(): { answer: string | undefined } | undefined {
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
