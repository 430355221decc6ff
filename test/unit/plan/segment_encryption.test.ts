import { strict as assert } from 'node:assert';
import { connectFromBuild } from '../../../src/core/plan/build_connect';
import type { FlashPlan, PlanSegment } from '../../../src/core/plan/flash_plan';
import { resolveSegmentEncryption } from '../../../src/core/plan/segment_encryption';
import { encryptedBy, chooseEncryptModes } from '../../../src/cli/encrypt_choice';
import { flashOptionsFrom, normalizeSettings } from '../../../src/ui/flash_options';

const seg = (name: string, offset: number, encrypt: boolean): PlanSegment => ({ name, offset, bytes: new Uint8Array(4), encrypt });
const marked = [seg('bootloader', 0, true), seg('app', 0x10000, true), seg('nvs', 0x9000, false)];
const unmarked = [seg('a', 0x10000, false), seg('b', 0x20000, false)];

describe("one rule for a segment's encryption (build marks + user choices)", () => {
  it('plain writes everything plain; encrypted follows the marks, by device or host', () => {
    assert.deepEqual(resolveSegmentEncryption(marked, { kind: 'plain', by: 'device' }), ['off', 'off', 'off']);
    assert.deepEqual(resolveSegmentEncryption(marked, { kind: 'encrypted', by: 'host' }), ['host', 'host', 'off']);
  });

  it("the user's choices (by name or hex offset) win over the build", () => {
    assert.deepEqual(resolveSegmentEncryption(marked, { kind: 'encrypted', by: 'device', overrides: { app: false, '0x9000': true } }), ['device', 'off', 'device']);
  });

  it("no marks at all: everything when asked (CLI --encrypt on pairs), nothing otherwise (the editor's unchecked boxes)", () => {
    assert.deepEqual(resolveSegmentEncryption(unmarked, { kind: 'encrypted', by: 'device', allWhenNoneMarked: true }), ['device', 'device']);
    assert.deepEqual(resolveSegmentEncryption(unmarked, { kind: 'encrypted', by: 'device' }), ['off', 'off']);
  });

  it('the CLI calls the same function', () => {
    assert.deepEqual(
      chooseEncryptModes(marked, { encrypt: true, hostKey: true }),
      resolveSegmentEncryption(marked, { kind: 'encrypted', by: encryptedBy({ encrypt: true, hostKey: true }), allWhenNoneMarked: true }),
    );
  });
});

describe("the build's reset/stub/chip requests, merged once (connectFromBuild)", () => {
  const plan: FlashPlan = { chip: 'esp32c3', settings: { mode: 'keep', size: 'keep', freq: 'keep' }, segments: [], before: 'no_reset', after: 'no_reset', stub: false };

  it('takes the build\'s values where the user says "build", and the user\'s otherwise', () => {
    assert.deepEqual(connectFromBuild(plan, { before: 'build', after: 'build', stub: 'build', chip: 'auto' }), {
      before: 'no-reset',
      after: 'no-reset',
      stub: false,
      chip: 'esp32c3',
      notes: ['The build asks for the ROM loader (stub: false); using it.'],
    });
    const mine = connectFromBuild(plan, { before: 'usb-reset', after: 'hard-reset', stub: true, chip: 'esp32' });
    assert.deepEqual([mine.before, mine.after, mine.stub, mine.chip], ['usb-reset', 'hard-reset', true, 'esp32']);
  });

  it("the editor's settings go through it too", () => {
    const o = flashOptionsFrom(normalizeSettings({ before: 'build', after: 'build', stub: 'build' }), plan, { port: 'p' });
    assert.deepEqual([o.before, o.after, o.stub, o.chip], ['no-reset', 'no-reset', false, 'esp32c3']);
  });
});
