/** `npm run demo` and `npm run bench` in-process, on small inputs. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEMO_SETS, runDemo, sharedDir } from '../../tools/demo/demo';
import { benchImage, runBenchCase } from '../../tools/bench/bench';

async function demo(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runDemo(
    args,
    (l) => out.push(l),
    (l) => err.push(l),
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('cli demo', function () {
  this.timeout(60_000);

  it('flashes a generated encrypted build and every segment reads back right', async () => {
    const r = await demo(['--sample', 'esp32c3']);
    assert.equal(r.code, 0, r.err + r.out);
    assert.match(r.out, /a generated sample ESP-IDF build for esp32c3/);
    assert.match(r.out, /^app +0x00010000 +\d+ +yes +yes +yes +yes +ok$/m);
    assert.match(r.out, /^storage +0x[0-9a-f]{8} +\d+ +no +no +yes \(plain\) +yes \(raw\) +ok$/m);
    assert.match(r.out, /All 4 segments match/);
  });

  const corpus = path.join(sharedDir(), 'corpus', DEMO_SETS['01']);
  if (!fs.existsSync(corpus)) {
    it('shared corpus not present: skipped', function () {
      console.log(`    (${corpus} is missing; the corpus demo is not run)`);
      this.skip();
    });
  } else {
    it('flashes corpus set 01 (ESP32, encrypted through the stub) and every segment matches', async () => {
      const r = await demo(['--set', '01']);
      assert.equal(r.code, 0, r.err + r.out);
      for (const name of ['bootloader', 'partition-table', 'app']) assert.match(r.out, new RegExp(`^${name} +0x[0-9a-f]{8} +\\d+ +yes +yes +yes +yes +ok$`, 'm'));
    });
  }
});

describe('cli bench', function () {
  this.timeout(60_000);

  it('measures a stub write at 921600 with the timing model: wire bytes and a wire use of at most 100%', async () => {
    const image = await benchImage(128 * 1024);
    assert.equal(image.bytes.length, 128 * 1024);
    const row = await runBenchCase({ baud: 921600, mode: 'compressed', loader: 'stub' }, image.bytes, image.chip, 'legacy');
    assert.equal(row.ok, true, row.error);
    assert.match(row.method, /compressed/);
    assert.ok(row.wireBytes > 1000 && row.wireBytes < image.bytes.length, `compressed wire bytes ${row.wireBytes}`);
    // The timing model paces bytes at baud/10 per second: more than the wire limit means broken accounting.
    assert.ok(row.wireFraction > 0.3 && row.wireFraction <= 1.02, `wire use ${row.wireFraction}`);
    assert.ok(row.seconds >= (row.wireBytes / 92160) * 0.98, `seconds ${row.seconds} below the wire time`);
  });
});
