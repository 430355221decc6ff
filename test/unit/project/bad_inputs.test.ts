import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseFlasherArgsJson } from '../../../src/core/project/idf_flasher_args_json';
import { readPlainPairs } from '../../../src/core/project/read_project';
import { tempDirs } from './tmp_dirs';

const tmp = tempDirs();

describe('bad inputs say what they are', () => {
  it('flasher_args.json holding null: "found null", not "found object"', () => {
    const r = parseFlasherArgsJson('null', '/b/flasher_args.json');
    assert.match(r.problems.map((p) => p.message).join('\n'), /expected a JSON object at the top level, found null\./);
  });

  it('a folder named as a segment file: "is a folder", not "the file is empty"', async () => {
    const dir = tmp.make('seg-dir-');
    const sub = path.join(dir, 'build');
    mkdirSync(sub);
    writeFileSync(path.join(dir, 'x.bin'), 'x');
    const r = await readPlainPairs([{ offset: 0x10000, file: sub }]);
    const msg = r.problems.map((p) => p.message).join('\n');
    assert.match(msg, /build is a folder, not a file\. Give the image file inside it/);
    assert.doesNotMatch(msg, /empty \(0 bytes\)/);
  });
});
