/**
 * A segment whose verify fails on the way (the port or the chip stops answering MD5) is named in
 * the error and is not listed as "Written" (issue 12, smaller defects).
 */
import { strict as assert } from 'node:assert';
import type { FlashEvent } from '../../src/core/flash/events';
import { flashSegments } from '../../src/core/flash/flash_job';
import { Op } from '../../src/core/protocol/opcodes';
import type { VirtualChip } from '../../src/sim/virtual_chip';
import { generatedImage } from './flash_helpers';

describe('a failure while verifying', function () {
  this.timeout(60_000);

  it('names the segment and offset, and the segment is not "Written"', async () => {
    const events: FlashEvent[] = [];
    let chip: VirtualChip | undefined;
    const result = await flashSegments(
      [
        { name: 'first', offset: 0x10000, bytes: generatedImage('esp32c3', 6000, 'v1'), encrypt: 'off' },
        { name: 'second', offset: 0x20000, bytes: generatedImage('esp32c3', 6000, 'v2'), encrypt: 'off' },
      ],
      {
        port: 'virtual:esp32c3',
        skipUnchanged: false,
        onEvent: (e) => {
          events.push(e);
          // The second segment's verify (its MD5) fails on the chip.
          if (e.kind === 'segment-start' && e.name === 'second') chip?.faults.failOpcode(Op.SPI_FLASH_MD5);
        },
        onVirtualChip: (c) => (chip = c as VirtualChip),
      },
    );
    try {
      assert.equal(result.ok, false);
      assert.match(result.error!, /^Verifying segment "second" at 0x20000 failed: .* It was written but not verified; flash it again\. Written: first\. Not written: second\./);
      assert.deepEqual(
        result.segments.map((s) => s.status),
        ['written', 'failed'],
      );
      const failed = events.find((e) => e.kind === 'failed');
      assert.ok(failed && failed.kind === 'failed');
      assert.equal(failed.segment, 'second');
      assert.equal(failed.offset, 0x20000);
      assert.deepEqual(failed.written, ['first']);
    } finally {
      chip?.close();
    }
  });
});
