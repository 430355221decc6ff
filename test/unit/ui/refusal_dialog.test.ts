import assert from 'node:assert/strict';
import { refusalDialog, refusalFix, refusalsOf, type RefusalLike } from '../../../src/ui/refusal_dialog';

const coded = (segment: string, offset: number): RefusalLike => ({
  code: 'plaintext-in-encrypted-region',
  segment,
  offset,
  overridable: true,
  reason: `Refusing to write segment "${segment}" at 0x${offset.toString(16)} as plaintext: flash encryption is on.`,
  advice: 'Write it encrypted, or turn encryption on for this segment.',
  message: `Refusing to write segment "${segment}" at 0x${offset.toString(16)} as plaintext: flash encryption is on. Write it encrypted, or turn encryption on for this segment.`,
});

describe('ui/refusal_dialog', () => {
  it('with rule codes: one bold line naming the segments, each reason once, the advice once, and the fix', () => {
    const refusals = [coded('bootloader', 0), coded('partition-table', 0x8000), coded('app', 0x10000)];
    const d = refusalDialog(refusals, { operation: 'Flash', encrypted: false, canOverride: true });
    assert.equal(d.fix, 'flash-encrypted');
    assert.equal(d.overridable, true);
    assert.equal(
      d.message,
      'Flash: nothing was written — this device’s flash is encrypted, and these segments would be written as plaintext, which does not boot (bootloader, partition-table, app).',
    );
    assert.equal(d.detail.split('Write it encrypted, or turn encryption on for this segment.').length, 2, 'the advice appears once');
    for (const r of refusals) assert.equal(d.detail.split(r.reason!).length, 2, `"${r.reason}" appears once`);
    assert.match(d.detail, /"Flash \(Encrypted\) Instead" runs the same flash with encryption on/);
    assert.match(d.detail, /"Override…" writes anyway after a second confirmation/);
  });

  it('offers "Flash Plain Instead" for an encrypted write to a device without flash encryption, and no fix for mixed rules', () => {
    const off = { ...coded('app', 0x10000), code: 'encryption-not-enabled' };
    assert.equal(refusalFix([off], { encrypted: true }), 'flash-plain');
    assert.equal(refusalFix([off], { encrypted: false }), undefined);
    assert.equal(refusalFix([coded('app', 0x10000), { ...off, code: 'beyond-flash' }], { encrypted: false }), undefined);
    const d = refusalDialog([{ ...off, code: 'beyond-flash', overridable: false }], { operation: 'Flash', encrypted: false, canOverride: true });
    assert.equal(d.fix, undefined);
    assert.match(d.detail, /This check cannot be overridden\.$/);
  });

  it('without codes: each message once (without the command-line note), the fix from what the device is known to be', () => {
    const plain: RefusalLike[] = [
      { segment: 'bootloader', offset: 0, overridable: true, message: 'Refusing bootloader: plaintext. (--force overrides this check.)' },
      { segment: 'app', offset: 0x10000, overridable: true, message: 'Refusing app: plaintext. (--force overrides this check.)' },
      { segment: 'app', offset: 0x10000, overridable: true, message: 'Refusing app: plaintext. (--force overrides this check.)' },
    ];
    const d = refusalDialog(plain, { operation: 'Flash', encrypted: false, deviceEncryption: 'development', canOverride: true });
    assert.equal(d.message, 'Flash: nothing was written — 3 safety checks failed for bootloader, app.');
    assert.equal(d.detail.split('• Refusing app: plaintext.').length, 2);
    assert.doesNotMatch(d.detail, /--force/);
    assert.equal(d.fix, 'flash-encrypted');
    assert.equal(refusalFix(plain, { encrypted: false }), undefined, 'device unknown: no fix');
    assert.equal(refusalFix(plain, { encrypted: false, deviceEncryption: 'release' }), undefined, 'release mode: the chip cannot encrypt');
    assert.equal(refusalFix(plain, { encrypted: true, deviceEncryption: 'off' }), 'flash-plain');
  });

  it('finds the refusal list on an error or its cause', () => {
    const list = [coded('app', 0x10000)];
    assert.equal(refusalsOf(Object.assign(new Error('x'), { refusals: list })), list);
    assert.equal(refusalsOf(new Error('outer', { cause: Object.assign(new Error('x'), { refusals: list }) })), list);
    assert.equal(refusalsOf(new Error('none')), undefined);
  });
});
