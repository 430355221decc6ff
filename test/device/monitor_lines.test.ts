import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CrashDecoder } from '../../src/core/monitor/crash_decoder';
import { SerialMonitor } from '../../src/core/monitor/monitor';
import { openPtyEndpoint, openPtyPair, type PtyEndpoint, type PtyPair } from '../../src/sim/pty_link';
import { Screen } from './monitor_helpers';
import { socatMissing } from './flash_helpers';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('serial monitor lines: a line the device pauses in is shown at once and stays one line', function () {
  this.timeout(30000);
  if (socatMissing('monitor line tests')) return;
  let pair: PtyPair | undefined;
  let dev: PtyEndpoint | undefined;
  let monitor: SerialMonitor | undefined;
  afterEach(async () => {
    await monitor?.close();
    await dev?.close();
    await pair?.close();
  });

  it('prompt without newline shown after a pause; the rest joins it; decoder, filter-free output and log see one line', async () => {
    pair = await openPtyPair();
    dev = openPtyEndpoint(pair.chipPath);
    const screen = new Screen();
    const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'monitor-lines-')), 'out.log');
    const seen: string[] = [];
    const decoder = new CrashDecoder(undefined);
    monitor = await SerialMonitor.open({ port: pair.hostPath, reset: false, logFile: log, decoder, fragmentMs: 50, ...screen.opts, onLine: (t) => seen.push(t) });
    dev.write(Buffer.from('I (1) app: first\r\nI (2) app: hel'));
    await screen.waitFor((t) => t.endsWith('I (2) app: hel'), 'the open line on screen');
    await sleep(200);
    dev.write(Buffer.from('lo\r\nnext\r\n'));
    await screen.waitFor((t) => t.endsWith('next\n'), 'the rest of the line');
    assert.ok(screen.text.endsWith('I (1) app: first\nI (2) app: hello\nnext\n'), JSON.stringify(screen.text.slice(-80)));
    assert.deepEqual(seen, ['I (1) app: first', 'I (2) app: hello', 'next']);
    await monitor.close();
    monitor = undefined;
    assert.match(fs.readFileSync(log, 'utf8'), /I \(1\) app: first\nI \(2\) app: hello\nnext\n$/);
  });
});
