/** The production-line bench runs end to end (chips in their own process); speed is not asserted here. */
import { strict as assert } from 'node:assert';
import { formatLineBench, runLineBench } from '../../tools/bench/bench_line';

describe('production-line bench', function () {
  this.timeout(90_000);

  it('flashes 1 and then 3 chips of a separate process and reports wall, ratio and CPU of both processes', async () => {
    const b = await runLineBench({ devices: 3, baud: 921600, size: 64 * 1024, rounds: 2 });
    assert.equal(b.rounds.length, 2);
    assert.equal(b.one.wallSeconds, Math.min(...b.rounds.map((r) => r[0])));
    assert.equal(b.many.wallSeconds, Math.min(...b.rounds.map((r) => r[1])));
    assert.deepEqual([b.one.ok, b.many.ok], [1, 3], [...b.one.errors, ...b.many.errors].join('\n'));
    assert.ok(b.one.wallSeconds > 0 && b.many.wallSeconds > 0);
    // The timing model paces the wire: no device can finish faster than its bytes take at 921600.
    assert.ok(b.one.maxDeviceSeconds > (32 * 1024) / 92160, `device seconds ${b.one.maxDeviceSeconds}`);
    assert.ok(b.one.hostCpuSeconds > 0 && b.many.chipCpuSeconds > 0);
    assert.equal(b.wallRatio, b.many.wallSeconds / b.one.wallSeconds);
    const text = formatLineBench(b).join('\n');
    assert.match(text, /3 devices {2}3\/3 ok {2}wall [\d.]+ s {2}flasher CPU [\d.]+ s \(\d+% of a core\)/);
    assert.match(text, /wall ratio 3\/1: [\d.]+ \(goal ≤ 1\.15\); aggregate [\d.]+× one device \(goal ≥ 2×\)/);
  });
});
