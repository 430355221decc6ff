/**
 * A stub that does not start (no "OHAI") or falls silent right after it: the job carries on with
 * the ROM loader after a reset into download mode (here "by hand": the pseudo-terminal has no
 * reset lines, so the test presses the virtual RESET when the warning asks for it), unless the
 * stub was insisted on. On an ESP32 the ROM cannot encrypt: device encryption is then refused.
 */
import { cliAdvice } from '../../src/cli/format_error';
import { adviseError, flashResultError } from '../../src/ui/error_advice';
import { strict as assert } from 'node:assert';
import type { WriteSegment } from '../../src/core/flash/api';
import type { FlashEvent } from '../../src/core/flash/events';
import { flashSegments } from '../../src/core/flash/flash_job';
import { Op } from '../../src/core/protocol/opcodes';
import type { PtyChip } from '../../src/sim/pty_chip';
import { eventText, generatedImage, ptyChipsPerTest } from './flash_helpers';

describe('stub that does not start: fallback to the ROM loader', function () {
  this.timeout(60_000);
  const chips = ptyChipsPerTest();

  /** Events of a flash job; on the "by hand" warning the virtual chip is reset into download mode. */
  async function flashWithHandReset(p: PtyChip, segs: WriteSegment[], extra: Partial<Parameters<typeof flashSegments>[1]> = {}) {
    const events: FlashEvent[] = [];
    const result = await flashSegments(segs, {
      port: p.path,
      baud: 115200,
      ...extra,
      onEvent: (e) => {
        events.push(e);
        if (e.kind === 'warning' && /reset the chip into download mode by hand now/.test(e.message)) {
          p.chip.faults.clear();
          p.chip.reset('download');
        }
      },
    });
    return { result, events, warnings: events.flatMap((e) => (e.kind === 'warning' ? [e.message] : [])) };
  }

  it('no OHAI: warns why (not blaming Secure Boot on a chip without it), resets, writes through the ROM', async () => {
    const pty = await chips.start({ chip: 'esp32c3', stub: 'current' });
    pty.chip.faults.stall(undefined, { opcode: Op.MEM_END });
    const seg: WriteSegment = { name: 'app', offset: 0x10000, bytes: generatedImage('esp32c3', 30_000, 'fb'), encrypt: 'off' };
    const run = await flashWithHandReset(pty, [seg]);
    assert.equal(run.result.ok, true, `${run.result.error}\n${eventText(run.events)}`);
    const w = run.warnings.find((m) => /did not start/.test(m)) ?? '';
    assert.match(
      w,
      /^The flasher stub \(.*\) did not start: no "OHAI" within 3 s after MEM_END\. The eFuses just read show neither Secure Boot nor Secure Download Mode, .* Continuing with the ROM loader, which is slower: reset the chip into download mode by hand now/,
    );
    assert.doesNotMatch(w, /can forbid running code/);
    assert.ok(
      run.events.some((e) => e.kind === 'stub' && !e.running && /did not start/.test(e.detail)),
      eventText(run.events),
    );
    assert.deepEqual(Buffer.from(pty.chip.readFlash(0x10000, seg.bytes.length)), Buffer.from(seg.bytes));
  });

  it('silent right after OHAI: the same fallback', async () => {
    const pty = await chips.start({ chip: 'esp32c3', stub: 'current' });
    // The stub greets, then hangs: its first command (a READ_REG that confirms it answers) gets nothing.
    pty.chip.faults.stall(undefined, { opcode: Op.READ_REG, inStub: true });
    const seg: WriteSegment = { name: 'app', offset: 0x20000, bytes: generatedImage('esp32c3', 20_000, 'fb2'), encrypt: 'off' };
    const run = await flashWithHandReset(pty, [seg]);
    assert.equal(run.result.ok, true, `${run.result.error}\n${eventText(run.events)}`);
    assert.ok(
      run.warnings.some(
        (m) => /said "OHAI" but did not answer its first command: No serial data received for the READ_REG reply/.test(m) && /Continuing with the ROM loader/.test(m),
      ),
      run.warnings.join('\n'),
    );
    assert.deepEqual(Buffer.from(pty.chip.readFlash(0x20000, seg.bytes.length)), Buffer.from(seg.bytes));
  });

  it('ESP32 with device encryption: refused after the fallback, nothing written', async () => {
    const pty = await chips.start({ chip: 'esp32', stub: 'current', encryption: 'development' });
    pty.chip.faults.stall(undefined, { opcode: Op.MEM_END });
    const before = Buffer.from(pty.chip.readFlash(0x10000, 0x10000));
    const seg: WriteSegment = { name: 'app', offset: 0x10000, bytes: generatedImage('esp32', 30_000, 'fb3'), encrypt: 'device' };
    const run = await flashWithHandReset(pty, [seg]);
    assert.equal(run.result.ok, false);
    assert.match(
      run.result.error ?? '',
      /Refusing segment "app" at 0x10000: the flasher stub did not start, and the ESP32 ROM loader cannot encrypt while writing — it would silently write plaintext \(the stub's failure: The flasher stub .* did not start: no "OHAI"/,
    );
    assert.match(run.warnings.join('\n'), /the ESP32 ROM loader cannot encrypt: device-encrypted segments will be refused/);
    assert.deepEqual(Buffer.from(pty.chip.readFlash(0x10000, 0x10000)), before);
  });

  it('the stub insisted on: no fallback, the error says why', async () => {
    const pty = await chips.start({ chip: 'esp32c3', stub: 'current' });
    pty.chip.faults.stall(undefined, { opcode: Op.MEM_END });
    const seg: WriteSegment = { name: 'app', offset: 0x10000, bytes: generatedImage('esp32c3', 10_000, 'fb4'), encrypt: 'off' };
    const run = await flashWithHandReset(pty, [seg], { stubRequired: true });
    assert.equal(run.result.ok, false);
    assert.match(run.result.error ?? '', /did not start: no "OHAI".*Flash without the stub \(through the ROM loader\), or use another stub folder\./);
    // The core names no CLI flag; the faces word their own option by the error's class.
    assert.doesNotMatch(run.result.error ?? '', /--/);
    assert.equal(run.result.errorClass, 'StubStartError');
    assert.match(cliAdvice(run.result.errorClass) ?? '', /--no-stub flashes through the ROM loader; --stub-dir DIR/);
    assert.match(adviseError(flashResultError(run.result, 'failed')).detail, /set "ESP Flasher › Stub" to "rom"/);
    assert.ok(!run.warnings.some((m) => /Continuing with the ROM loader/.test(m)));
  });
});
