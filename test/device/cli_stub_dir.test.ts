/**
 * --stub-dir on the command line: a folder that cannot serve is a clear error before anything is
 * written (never a silent switch to the bundled stubs); a known stub set is named with its
 * licence; an image ESP Flasher does not know runs with the conservative capabilities and a line
 * saying so.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chipFacts } from '../../src/core/chips';
import { loadStub } from '../../src/core/protocol/stub_images';
import { startPtyChip, type PtyChip } from '../../src/sim/pty_chip';
import { cli } from './cli_run';
import { socatMissing } from './flash_helpers';

describe('cli --stub-dir', function () {
  this.timeout(60_000);
  if (socatMissing('--stub-dir cli tests')) return;
  let pty: PtyChip;
  let tmp = '';
  let app = '';
  const data = Buffer.alloc(0x3000, 0x5a);
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'stub-dir-cli-'));
    app = path.join(tmp, 'data.dat');
    fs.writeFileSync(app, data);
    pty = await startPtyChip({ chip: 'esp32c3' });
  });
  after(async () => {
    await pty?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  // --after no-reset leaves the stub running: each case starts from the ROM loader, as after a reset.
  beforeEach(() => pty.chip.reset('download'));
  const flash = (stubDir: string) => cli('flash', '--port', pty.path, '--before', 'no-reset', '--after', 'no-reset', '--stub-dir', stubDir, '0x300000', app);
  const untouched = () =>
    assert.ok(
      Buffer.from(pty.chip.readFlash(0x300000, data.length)).every((b) => b === 0xff),
      'nothing was written',
    );

  it('a folder that does not exist: error naming it, nothing written', async () => {
    const r = await flash(path.join(tmp, 'nowhere'));
    assert.notEqual(r.code, 0);
    assert.match(r.err, /stub folder .*nowhere does not exist/);
    untouched();
  });

  it('an empty folder: error, nothing written', async () => {
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty);
    const r = await flash(empty);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /holds no stub JSON files/);
    untouched();
  });

  it('malformed JSON: error naming the file, nothing written', async () => {
    const bad = path.join(tmp, 'bad');
    fs.mkdirSync(bad);
    fs.writeFileSync(path.join(bad, 'esp32c3.json'), '{"entry": ');
    const r = await flash(bad);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /Stub file .*esp32c3\.json is not valid JSON/);
    untouched();
  });

  it('an image it does not know: a line says so, the conservative set writes the file', async () => {
    const mine = path.join(tmp, 'mine');
    fs.mkdirSync(mine);
    const j = JSON.parse(fs.readFileSync(loadStub(chipFacts('esp32c3')).file, 'utf8')) as { text: string };
    const text = Buffer.from(j.text, 'base64');
    text[text.length - 1] ^= 0xff; // a different build of the same stub
    fs.writeFileSync(path.join(mine, 'esp32c3.json'), JSON.stringify({ ...j, text: text.toString('base64') }));
    const r = await flash(mine);
    assert.equal(r.code, 0, r.err);
    assert.match(`${r.out}\n${r.err}`, /esp32c3\.json is not one ESP Flasher knows .*conservative set/);
    assert.ok(Buffer.from(pty.chip.readFlash(0x300000, data.length)).equals(data));
  });

  const set1 = path.resolve(__dirname, '../../../shared/qemu/stubs-esptool-4.12/1');
  it("esptool 4.12's legacy set: named with its version and licence", async function () {
    if (!fs.existsSync(set1)) {
      console.log('      shared esptool 4.12 stubs not present: skipped');
      this.skip();
    }
    const r = await flash(set1);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /stub uploaded: esptool-legacy-flasher-stub v1\.11\.1 \(GPL-2\.0-or-later\)/);
  });
});
