import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { BUILD_READERS, type BuildReader } from '../../../src/core/project/build_readers';
import { readProject } from '../../../src/core/project/read_project';
import { tempDirs } from './tmp_dirs';

const tmp = tempDirs();

describe('build reader registry', () => {
  it('a new build system is one reader and one line: readProject finds and reads it', async () => {
    const dir = tmp.make('toy-');
    writeFileSync(path.join(dir, 'toy.build'), 'x');
    writeFileSync(path.join(dir, 'app.bin'), new Uint8Array(4096).fill(1));
    const toy: BuildReader = {
      kind: 'toy',
      label: 'Toy build',
      async detect(d, looked) {
        const f = path.join(d, 'toy.build');
        looked.push(f);
        return d === dir ? { kind: 'toy', dir: d, marker: f } : undefined;
      },
      async read(found) {
        const file = path.join(found.dir, 'app.bin');
        return {
          plan: { settings: { mode: 'keep', size: 'keep', freq: 'keep' }, segments: [{ name: 'app', offset: 0x10000, bytes: new Uint8Array(4096).fill(1), file, encrypt: false }] },
          problems: [],
          buildDir: found.dir,
        };
      },
    };
    BUILD_READERS.push(toy);
    try {
      const r = await readProject(dir);
      assert.equal(r.kind, 'toy');
      assert.deepEqual(
        r.plan.segments.map((s) => [s.name, s.offset]),
        [['app', 0x10000]],
      );
      assert.equal(r.buildDir, dir);
    } finally {
      BUILD_READERS.splice(BUILD_READERS.indexOf(toy), 1);
    }
  });
});
