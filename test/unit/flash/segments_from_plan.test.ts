import { strict as assert } from 'node:assert';
import { segmentsFromPlan } from '../../../src/core/flash/segments_from_plan';
import type { FlashPlan } from '../../../src/core/plan/flash_plan';

const plan: FlashPlan = {
  chip: 'esp32c3',
  settings: { mode: 'dio', size: '4MB', freq: '80m' },
  segments: [
    { name: 'bootloader', offset: 0x0, bytes: new Uint8Array(4), encrypt: true },
    { name: 'app', offset: 0x10000, bytes: new Uint8Array(4), encrypt: true },
    { name: 'storage', offset: 0x110000, bytes: new Uint8Array(4), encrypt: false },
  ],
};

describe('segmentsFromPlan', () => {
  it('plain mode writes everything plaintext and remembers the build flag', () => {
    const s = segmentsFromPlan(plan, 'plain', 'device');
    assert.deepEqual(
      s.map((x) => x.encrypt),
      ['off', 'off', 'off'],
    );
    assert.deepEqual(
      s.map((x) => x.encryptedInBuild),
      [true, true, false],
    );
  });

  it('encrypted mode encrypts the segments the build marks, with the chosen mode', () => {
    assert.deepEqual(
      segmentsFromPlan(plan, 'encrypted', 'device').map((x) => x.encrypt),
      ['device', 'device', 'off'],
    );
    assert.deepEqual(
      segmentsFromPlan(plan, 'encrypted', 'host').map((x) => x.encrypt),
      ['host', 'host', 'off'],
    );
  });

  it('overrides by name or by hex offset win over the build', () => {
    const s = segmentsFromPlan(plan, 'encrypted', 'device', { app: false, '0x110000': true });
    assert.deepEqual(
      s.map((x) => x.encrypt),
      ['device', 'off', 'device'],
    );
  });
});
