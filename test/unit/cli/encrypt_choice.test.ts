import { strict as assert } from 'node:assert';
import type { PlanSegment } from '../../../src/core/plan/flash_plan';
import { UsageError } from '../../../src/cli/args';
import { checkEncryptFlagCombination, chooseEncryptModes } from '../../../src/cli/encrypt_choice';

const seg = (name: string, encrypt: boolean): PlanSegment => ({ name, offset: 0, bytes: new Uint8Array(4), encrypt });

describe('cli encrypt choice', () => {
  const marked = [seg('bootloader', true), seg('app', true), seg('storage', false)];
  const unmarked = [seg('a', false), seg('b', false)];

  it('writes everything plain without --encrypt', () => {
    assert.deepEqual(chooseEncryptModes(marked, { encrypt: false, hostKey: false }), ['off', 'off', 'off']);
  });

  it('encrypts on the device exactly the segments the build marks', () => {
    assert.deepEqual(chooseEncryptModes(marked, { encrypt: true, hostKey: false }), ['device', 'device', 'off']);
  });

  it('encrypts every segment when the build marks none', () => {
    assert.deepEqual(chooseEncryptModes(unmarked, { encrypt: true, hostKey: false }), ['device', 'device']);
  });

  it('uses the host key for the encrypted segments when one is given', () => {
    assert.deepEqual(chooseEncryptModes(marked, { encrypt: true, hostKey: true }), ['host', 'host', 'off']);
  });

  it('refuses a key without saying what to encrypt', () => {
    assert.throws(
      () => checkEncryptFlagCombination({ encrypt: false, hostKey: true }, 0),
      (e: unknown) => e instanceof UsageError && /add --encrypt/.test(e.message),
    );
    checkEncryptFlagCombination({ encrypt: false, hostKey: true }, 2);
    checkEncryptFlagCombination({ encrypt: true, hostKey: true }, 0);
  });
});
