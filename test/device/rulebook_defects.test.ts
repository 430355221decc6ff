/**
 * Issue 12's "smaller defects" that need the wire: the real serialport through a pty to the
 * virtual chip, with the chip's fault hooks. (Verify failures: flash_verify_failure.test.ts;
 * SIGTERM: cli_process.test.ts; a corrupted frame and a lost reply: flash_device_ops.test.ts.)
 */
import { strict as assert } from 'node:assert';
import { ProgressPrinter } from '../../src/cli/progress_printer';
import type { WriteSegment } from '../../src/core/flash/api';
import type { FlashEvent } from '../../src/core/flash/events';
import { flashSegments } from '../../src/core/flash/flash_job';
import { Op } from '../../src/core/protocol/opcodes';
import { eventText, generatedImage, ptyChipsPerTest } from './flash_helpers';

describe('issue 12 defects on the wire (pty → virtual chip)', function () {
  this.timeout(60_000);
  const chips = ptyChipsPerTest();

  it('a lost compressed data frame (never reaches the stub) is recovered, not fatal: written once and verified', async () => {
    const pty = await chips.start({ chip: 'esp32c3', stub: 'current' });
    const seg: WriteSegment = { name: 'app', offset: 0x10000, bytes: generatedImage('esp32c3', 150_000, 'lost-in'), encrypt: 'off' };
    pty.chip.faults.dropFrame({ direction: 'in', opcode: Op.FLASH_DEFL_DATA, nth: 2 });
    const events: FlashEvent[] = [];
    const r = await flashSegments([seg], { port: pty.path, skipUnchanged: false, onEvent: (e) => events.push(e) });
    assert.equal(r.ok, true, `${r.error}\n${eventText(events)}`);
    assert.equal(r.segments[0].verified, true);
    assert.deepEqual(Buffer.from(pty.chip.readFlash(0x10000, seg.bytes.length)), Buffer.from(seg.bytes));
  });

  it('after a retried segment the summary does not add both attempts up as "compressed"', async () => {
    const pty = await chips.start({ chip: 'esp32c3', stub: 'current' });
    const seg: WriteSegment = { name: 'app', offset: 0x10000, bytes: generatedImage('esp32c3', 150_000, 'retry'), encrypt: 'off' };
    pty.chip.faults.dropFrame({ direction: 'out', opcode: Op.FLASH_DEFL_DATA, nth: 2 });
    const lines: string[] = [];
    const printer = new ProgressPrinter((l) => lines.push(l), { tty: false, rawWrite: () => undefined, barWidth: 10 });
    const events: FlashEvent[] = [];
    const r = await flashSegments([seg], {
      port: pty.path,
      skipUnchanged: false,
      onEvent: (e) => {
        events.push(e);
        printer.listener(e);
      },
    });
    printer.finish();
    assert.equal(r.ok, true, `${r.error}\n${eventText(events)}`);
    assert.ok(
      events.some((e) => e.kind === 'warning' && /restarting segment "app"/.test(e.message)),
      'the segment was retried',
    );
    const wrote = lines.find((l) => l.startsWith('Wrote '));
    assert.ok(wrote, lines.join('\n'));
    // Both attempts together exceed the image: that is said as bytes sent, never as compression.
    assert.match(wrote, new RegExp(`^Wrote ${seg.bytes.length} bytes \\(\\d+ bytes sent, with sector padding and retries\\) at 0x00010000`));
  });

  // flash_verify_failure.test.ts covers an MD5 the chip answers with an error; these the two ways of the issue.
  for (const how of ['the chip hangs', 'the port is unplugged'] as const) {
    it(`${how} during a segment's verify: the failure names the segment and offset, and it is not "Written"`, async () => {
      const pty = await chips.start({ chip: 'esp32c3', stub: 'current' });
      const chip = pty.chip;
      const segs: WriteSegment[] = [
        { name: 'first', offset: 0x10000, bytes: generatedImage('esp32c3', 6000, 'vf1'), encrypt: 'off' },
        { name: 'second', offset: 0x20000, bytes: generatedImage('esp32c3', 6000, 'vf2'), encrypt: 'off' },
      ];
      if (how === 'the chip hangs') chip.faults.stall(undefined, { opcode: Op.SPI_FLASH_MD5, nth: 2 });
      const events: FlashEvent[] = [];
      const r = await flashSegments(segs, {
        port: pty.path,
        skipUnchanged: false,
        onEvent: (e) => {
          events.push(e);
          // The last block of "second" is acknowledged: what the host sends next ends the segment and asks for its MD5.
          if (how === 'the port is unplugged' && e.kind === 'progress' && e.name === 'second' && e.written === e.total) chip.faults.disconnectAtByte(16);
        },
      });
      assert.equal(r.ok, false, eventText(events));
      assert.match(r.error ?? '', /^Verifying segment "second" at 0x20000 failed: .* It was written but not verified; flash it again\. Written: first\. Not written: second\./);
      assert.deepEqual(
        r.segments.map((s) => s.status),
        ['written', 'failed'],
      );
      const failed = events.find((e) => e.kind === 'failed');
      assert.ok(failed?.kind === 'failed' && failed.segment === 'second' && failed.offset === 0x20000, JSON.stringify(failed));
    });
  }
});
