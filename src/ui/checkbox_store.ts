/**
 * The "encrypt" checkbox choices of the Flash Plan tree, kept per workspace and keyed by
 * build folder + segment name. Only choices that differ from the build's default are stored,
 * so a segment the user never touched follows the build. No vscode here: it works on any
 * Memento-like store (vscode's workspaceState is one).
 */

export interface MementoLike {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void> | Promise<void>;
}

const KEY_PREFIX = 'espFlasher.encryptChoices:';

export class EncryptChoices {
  constructor(private readonly store: MementoLike) {}

  private key(buildDir: string): string {
    return KEY_PREFIX + buildDir;
  }

  /** The user's choices for one build folder (segment name → encrypt). */
  overrides(buildDir: string): Record<string, boolean> {
    return { ...(this.store.get<Record<string, boolean>>(this.key(buildDir)) ?? {}) };
  }

  /** Whether the segment is checked: the user's choice if any, else the build's default. */
  effective(buildDir: string, segment: { name: string; encrypt: boolean }): boolean {
    const choice = this.overrides(buildDir)[segment.name];
    return choice ?? segment.encrypt;
  }

  /** Records a choice; choosing the build's default again forgets the override. */
  async set(buildDir: string, segment: { name: string; encrypt: boolean }, encrypt: boolean): Promise<void> {
    const all = this.overrides(buildDir);
    if (encrypt === segment.encrypt) delete all[segment.name];
    else all[segment.name] = encrypt;
    await this.store.update(this.key(buildDir), Object.keys(all).length ? all : undefined);
  }

  /** Forgets every choice for the build folder (back to the build's defaults). */
  async reset(buildDir: string): Promise<void> {
    await this.store.update(this.key(buildDir), undefined);
  }
}
