/**
 * `--trace FILE`: every loader frame sent and received, one line each, through the real serialport
 * binding on a pty virtual chip — and a FILE that cannot be written is a usage error before any
 * byte goes to the chip.
 */
import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { cli } from './cli_run';
import { ptyChipsPerTest, socatMissing, tempDirPerSuite } from './flash_helpers';

describe('esp-flasher --trace (virtual chip through a pty)', function () {
  this.timeout(60_000);
  if (socatMissing('--trace')) return;
  const chips = ptyChipsPerTest();
  const tmp = tempDirPerSuite('esp-flasher-trace-');

  it('writes one line per frame, in time order, from SYNC to the verify', async () => {
    const pty = await chips.start({ chip: 'esp32c3' });
    const file = path.join(tmp.path, 'data.bin');
    const trace = path.join(tmp.path, 'trace.txt');
    writeFileSync(file, Buffer.from('compressible trace payload '.repeat(0x3000 / 27 + 1)).subarray(0, 0x3000));
    const r = await cli('flash', '--port', pty.path, '--chip', 'esp32c3', '--no-cache', '--trace', trace, '0x100000', file);
    assert.equal(r.code, 0, `${r.out}\n${r.err}`);
    const lines = readFileSync(trace, 'utf8').trim().split('\n');
    const sent = lines.filter((l) => l.includes(' → ')).map((l) => l.split(' → ')[1].split(' ')[0]);
    assert.equal(sent[0], 'SYNC', lines.slice(0, 3).join('\n'));
    for (const op of ['MEM_BEGIN', 'MEM_END', 'CHANGE_BAUDRATE', 'FLASH_DEFL_BEGIN', 'FLASH_DEFL_DATA', 'SPI_FLASH_MD5'])
      assert.ok(sent.includes(op), `${op} sent: ${[...new Set(sent)].join(', ')}`);
    assert.ok(
      lines.some((l) => /← SYNC reply, value 0x[0-9a-f]+, \d+ data bytes, ending 00 00/.test(l)),
      'replies with opcode, value and status',
    );
    assert.ok(
      lines.every((l) => l.includes(pty.path)),
      'every line names the port',
    );
    const times = lines.map((l) => Number(l.trim().split(' ')[0]));
    assert.ok(
      times.every((t, i) => Number.isFinite(t) && (i === 0 || t >= times[i - 1])),
      'times in order',
    );
  });

  it('a production-line run traces every device into the one file, each line naming its port', async () => {
    const a = await chips.start({ chip: 'esp32c3' });
    const b = await chips.start({ chip: 'esp32c3' });
    const file = path.join(tmp.path, 'line.bin');
    const trace = path.join(tmp.path, 'line-trace.txt');
    writeFileSync(file, Buffer.from('line trace payload '.repeat(200)));
    const r = await cli('flash', '--port', a.path, '--port', b.path, '--chip', 'esp32c3', '--no-cache', '--trace', trace, '0x100000', file);
    assert.equal(r.code, 0, `${r.out}\n${r.err}`);
    const lines = readFileSync(trace, 'utf8').trim().split('\n');
    for (const port of [a.path, b.path]) {
      const mine = lines.filter((l) => l.includes(`  ${port}  `));
      assert.ok(mine.some((l) => l.includes('→ SYNC')) && mine.some((l) => l.includes('→ SPI_FLASH_MD5')), `${port}: ${mine.length} lines`);
    }
  });

  it('a trace file that cannot be written is a usage error and nothing is sent', async () => {
    const pty = await chips.start({ chip: 'esp32c3' });
    const before = pty.chip.stats.bytesIn;
    const r = await cli('flash', '--port', pty.path, '--trace', path.join(tmp.path, 'no-such-folder', 't.txt'), '0x100000', path.join(tmp.path, 'data.bin'));
    assert.equal(r.code, 2, `${r.out}\n${r.err}`);
    assert.match(r.err, /--trace: cannot write .*no-such-folder\/t\.txt: .*Give a file in a folder that exists/);
    assert.equal(pty.chip.stats.bytesIn, before, 'no byte reached the chip');
  });
});
