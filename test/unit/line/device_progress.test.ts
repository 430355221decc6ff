import { strict as assert } from 'node:assert';
import { LineProgress } from '../../../src/core/line/device_progress';

describe('line/device_progress', () => {
  it('follows each device through its events independently', () => {
    const p = new LineProgress();
    p.add('A');
    p.add('B');
    assert.equal(p.update('A', { kind: 'chip', chip: 'esp32c3', description: 'ESP32-C3' }), true);
    p.update('A', { kind: 'segment-start', index: 0, name: 'app', offset: 0x10000, size: 1000, method: 'compressed' });
    p.update('A', { kind: 'progress', index: 0, name: 'app', written: 250, total: 1000, sent: 100, kbitPerSecond: 900 });
    assert.equal(p.update('B', { kind: 'warning', message: 'x' }), false);
    p.update('B', { kind: 'failed', message: 'No key for device', segment: 'app', offset: 0x10000, written: [], notWritten: ['app'] });
    assert.deepEqual(p.get('A'), { port: 'A', chip: 'esp32c3', phase: 'writing', status: 'writing app', fraction: 0.25, kbitPerSecond: 900, finished: false });
    assert.deepEqual(p.get('B'), { port: 'B', phase: 'failed', status: 'FAILED at app: No key for device', finished: true });
    p.update('A', { kind: 'done', seconds: 2.04, written: ['app'], skipped: [] });
    assert.deepEqual([p.get('A')?.phase, p.get('A')?.status, p.get('A')?.finished], ['done', 'done in 2.0 s', true]);
    assert.deepEqual(
      p.all.map((d) => d.port),
      ['A', 'B'],
    );
  });
});
