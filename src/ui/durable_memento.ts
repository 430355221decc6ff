/**
 * A workspaceState that also survives a window reload right after a change. In VS Code for the
 * web (code-server, Codespaces) workspaceState is flushed to the browser's IndexedDB a little
 * after each change, and a reload in between loses the change. This store writes every change
 * to workspaceState AND, synchronously, to a JSON file in the extension's per-workspace storage
 * folder (context.storageUri, on the extension host's machine); reads prefer the file. Removed
 * keys are kept in the file as null, so an older workspaceState value cannot come back.
 * No vscode here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MementoLike } from './checkbox_store';

export class DurableMemento implements MementoLike {
  private loaded: Record<string, unknown> | undefined;

  constructor(
    private readonly inner: MementoLike,
    private readonly file: string | undefined,
    private readonly onError: (message: string) => void = () => undefined,
  ) {}

  /** The file is read at the first get or update, not while the extension activates. */
  private get data(): Record<string, unknown> {
    if (this.loaded) return this.loaded;
    this.loaded = {};
    if (!this.file) return this.loaded;
    try {
      if (fs.existsSync(this.file)) {
        const parsed: unknown = JSON.parse(fs.readFileSync(this.file, 'utf8'));
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) this.loaded = parsed as Record<string, unknown>;
      }
    } catch (e) {
      this.onError(`${this.file}: unreadable (${(e as Error).message}); using the workspace state instead. It is rewritten on the next change.`);
    }
    return this.loaded;
  }

  get<T>(key: string): T | undefined {
    if (Object.prototype.hasOwnProperty.call(this.data, key)) {
      const v = this.data[key];
      return v === null ? undefined : (v as T);
    }
    return this.inner.get<T>(key);
  }

  async update(key: string, value: unknown): Promise<void> {
    this.data[key] = value === undefined ? null : value;
    if (this.file) {
      try {
        fs.mkdirSync(path.dirname(this.file), { recursive: true });
        const tmp = `${this.file}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, JSON.stringify(this.data, null, 1));
        fs.renameSync(tmp, this.file);
      } catch (e) {
        this.onError(`${this.file}: cannot be written (${(e as Error).message}); the choice is kept in the workspace state only.`);
      }
    }
    await this.inner.update(key, value);
  }
}
