import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { MementoLike } from '../../../src/ui/checkbox_store';
import { DurableMemento } from '../../../src/ui/durable_memento';

class MemoryMemento implements MementoLike {
  constructor(readonly data = new Map<string, unknown>()) {}
  get<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }
  async update(key: string, value: unknown): Promise<void> {
    if (value === undefined) this.data.delete(key);
    else this.data.set(key, value);
  }
}

describe('ui/durable_memento', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'espf-memento-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps a change that the workspace state lost (a reload right after it)', async () => {
    const file = path.join(dir, 'sub', 'state.json');
    await new DurableMemento(new MemoryMemento(), file).update('k', { app: false });
    const afterReload = new DurableMemento(new MemoryMemento(), file); // workspaceState never flushed
    assert.deepEqual(afterReload.get('k'), { app: false });
  });

  it('falls back to the workspace state for keys it never wrote, and keeps removals as removals', async () => {
    const file = path.join(dir, 'state.json');
    const inner = new MemoryMemento(
      new Map<string, unknown>([
        ['old', 1],
        ['gone', 2],
      ]),
    );
    const m = new DurableMemento(inner, file);
    assert.equal(m.get('old'), 1);
    await m.update('gone', undefined);
    const stale = new MemoryMemento(new Map<string, unknown>([['gone', 2]])); // the removal did not reach it
    assert.equal(new DurableMemento(stale, file).get('gone'), undefined);
    assert.equal(inner.get('gone'), undefined, 'the workspace state is updated too');
  });

  it('says so and carries on when the file is corrupt or cannot be written', async () => {
    const file = path.join(dir, 'state.json');
    fs.writeFileSync(file, '{not json');
    const errors: string[] = [];
    const m = new DurableMemento(new MemoryMemento(new Map([['k', 'inner']])), file, (e) => errors.push(e));
    assert.equal(m.get('k'), 'inner');
    assert.match(errors[0], /state\.json: unreadable/);
    const blocked = path.join(file, 'under-a-file.json');
    const m2 = new DurableMemento(new MemoryMemento(), blocked, (e) => errors.push(e));
    await m2.update('k', 1);
    assert.equal(m2.get('k'), 1);
    assert.match(errors[1], /cannot be written/);
  });
});
