import { strict as assert } from 'node:assert';
import { benchMonitor } from '../../tools/bench/bench_monitor';
import { socatMissing } from './flash_helpers';

// Speed is reported by `npm run bench`; this only checks that the bench's flood arrives whole.
describe('monitor bench (short run): every line of a 2,000,000 baud flood arrives once, in order, intact', function () {
  this.timeout(60000);
  if (socatMissing('monitor bench test')) return;
  it('2 s at 2,000,000 baud through the real serialport binding', async () => {
    const r = await benchMonitor(2, 2_000_000);
    assert.ok(r.linesSent > 1000, `${r.linesSent} lines sent`);
    assert.deepEqual({ shown: r.linesShown, lost: r.lost, outOfOrder: r.outOfOrder, corrupt: r.corrupt }, { shown: r.linesSent, lost: 0, outOfOrder: 0, corrupt: 0 });
  });
});
