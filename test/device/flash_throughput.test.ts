/**
 * The one timed test: with the virtual chip's UART/flash timing model on, the stub path keeps the
 * line busy (blocks sent ahead of the ACKs) and comes close to the 8N1 payload limit.
 */
import { strict as assert } from 'node:assert';
import { flashSegments } from '../../src/core/flash/flash_job';
import { pseudoRandom } from './flash_helpers';

async function rate(depth: number, data: Uint8Array): Promise<number> {
  let kbps = 0;
  const r = await flashSegments([{ name: 'app', offset: 0x10000, bytes: data, encrypt: 'off' }], {
    port: 'virtual:esp32c3:stub=current:timing',
    baud: 921600,
    pipelineDepth: depth,
    compress: false,
    skipUnchanged: false,
    verify: false,
    onEvent: (e) => {
      if (e.kind === 'segment-done') kbps = e.kbitPerSecond;
    },
  });
  assert.equal(r.ok, true, r.error);
  return kbps;
}

describe('stub write throughput (timing model on)', function () {
  this.timeout(60_000);

  it('pipelined stub writes reach at least 85% of the 921600-baud payload limit on incompressible data', async () => {
    const data = pseudoRandom(128 * 1024, 'throughput');
    const limit = ((921600 / 10) * 8) / 1000; // kbit/s of payload through 8N1
    const stopAndWait = await rate(0, data);
    const pipelined = await rate(1, data);
    console.log(
      `      stop-and-wait ${stopAndWait} kbit/s (${((stopAndWait / limit) * 100).toFixed(1)}%), pipelined ${pipelined} kbit/s (${((pipelined / limit) * 100).toFixed(1)}%) of ${limit} kbit/s`,
    );
    assert.ok(pipelined >= 0.85 * limit, `pipelined ${pipelined} kbit/s`);
  });
});
