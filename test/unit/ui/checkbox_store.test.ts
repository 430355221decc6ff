import assert from 'node:assert/strict';
import { EncryptChoices, type MementoLike } from '../../../src/ui/checkbox_store';

class MemoryMemento implements MementoLike {
  readonly data = new Map<string, unknown>();
  get<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }
  async update(key: string, value: unknown): Promise<void> {
    if (value === undefined) this.data.delete(key);
    else this.data.set(key, JSON.parse(JSON.stringify(value)));
  }
}

describe('ui/checkbox_store', () => {
  const app = { name: 'app', encrypt: true };
  const storage = { name: 'storage', encrypt: false };

  it('follows the build until the user changes a box', async () => {
    const c = new EncryptChoices(new MemoryMemento());
    assert.equal(c.effective('/b', app), true);
    assert.equal(c.effective('/b', storage), false);
    await c.set('/b', app, false);
    await c.set('/b', storage, true);
    assert.equal(c.effective('/b', app), false);
    assert.equal(c.effective('/b', storage), true);
    assert.deepEqual(c.overrides('/b'), { app: false, storage: true });
  });

  it('forgets a choice that equals the build default, and drops the key when empty', async () => {
    const m = new MemoryMemento();
    const c = new EncryptChoices(m);
    await c.set('/b', app, false);
    await c.set('/b', app, true);
    assert.deepEqual(c.overrides('/b'), {});
    assert.equal(m.data.size, 0);
  });

  it('keeps choices apart per build folder and survives a new instance over the same store', async () => {
    const m = new MemoryMemento();
    await new EncryptChoices(m).set('/one/build', app, false);
    const c = new EncryptChoices(m);
    assert.equal(c.effective('/one/build', app), false);
    assert.equal(c.effective('/two/build', app), true);
    await c.reset('/one/build');
    assert.equal(c.effective('/one/build', app), true);
  });
});
