/**
 * `esp-flasher flash` and the device cache: files in $XDG_CACHE_HOME/esp-flasher, a re-flash
 * confirmed with one MD5, `--no-cache` neither reads nor writes it.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { PtyChip } from '../../src/sim/pty_chip';
import { cli } from './cli_run';
import { generatedImage, ptyChipsPerTest, socatMissing } from './flash_helpers';

describe('esp-flasher flash: the device cache', function () {
  this.timeout(60_000);
  if (socatMissing('CLI device cache tests')) return;
  const chips = ptyChipsPerTest();
  let home: string;
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.XDG_CACHE_HOME;
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'esp-flasher-cli-cache-'));
    process.env.XDG_CACHE_HOME = home;
  });
  afterEach(async () => {
    process.env.XDG_CACHE_HOME = saved;
    fs.rmSync(home, { recursive: true, force: true });
  });

  const md5Requests = (p: PtyChip) => {
    let n = 0;
    const off = p.chip.onTrace((e) => {
      if (e.op === 0x13) n++;
    });
    return () => {
      off();
      return n;
    };
  };

  it('remembers the device in $XDG_CACHE_HOME/esp-flasher; the identical re-flash is one MD5; --no-cache compares with the flash and leaves the file alone', async () => {
    const pty = await chips.start({ chip: 'esp32c3', stub: 'current' });
    const file = path.join(home, 'app.bin');
    fs.writeFileSync(file, generatedImage('esp32c3', 160 * 1024, 'cli-cache'));
    const flash = (...extra: string[]) =>
      cli('flash', '--port', pty!.path, '--chip', 'esp32c3', '--before', 'no-reset', '--after', 'no-reset', '-b', '921600', ...extra, '0x10000', file);

    const first = await flash();
    assert.equal(first.code, 0, first.err);
    const dir = path.join(home, 'esp-flasher');
    const files = fs.readdirSync(dir);
    assert.deepEqual(files, [`esp32c3-${pty.chip.mac.reduce((s, b) => s + b.toString(16).padStart(2, '0'), '')}-${files[0].split('-')[2].replace('.json', '')}.json`]);
    const stamp = fs.statSync(path.join(dir, files[0])).mtimeMs;

    let count = md5Requests(pty);
    const again = await flash();
    assert.equal(again.code, 0, again.err);
    assert.equal(count(), 1);
    assert.match(again.out, /Skipped app at 0x00010000 \(already on flash, MD5 [0-9a-f]{32}; device cache confirmed by one MD5 of the flash\)/);

    count = md5Requests(pty);
    const plain = await flash('--no-cache');
    assert.equal(plain.code, 0, plain.err);
    assert.ok(count() > 1, 'without the cache the job compares block by block');
    assert.equal(fs.statSync(path.join(dir, files[0])).mtimeMs, stamp);
  });
});
