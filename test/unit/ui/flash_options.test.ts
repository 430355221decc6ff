import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { FlashPlan } from '../../../src/core/plan/flash_plan';
import { DEFAULT_SETTINGS, flashOptionsFrom, hostKeyFrom, normalizeSettings } from '../../../src/ui/flash_options';

describe('ui/flash_options', () => {
  const plan: FlashPlan = {
    chip: 'esp32s3',
    settings: { mode: 'dio', size: '8MB', freq: '80m' },
    segments: [],
    before: 'default_reset',
    after: 'no_reset',
    stub: false,
  };

  it('coerces raw settings and falls back to defaults for nonsense', () => {
    const s = normalizeSettings({ baud: '921600', chip: 'esp32c3', before: 'no_reset', stub: 'rom', verify: false, encryptionMode: 'host', port: ' /dev/ttyUSB0 ' });
    assert.equal(s.baud, 921600);
    assert.equal(s.chip, 'esp32c3');
    assert.equal(s.before, 'no-reset');
    assert.equal(s.stub, 'rom');
    assert.equal(s.verify, false);
    assert.equal(s.encryptionMode, 'host');
    assert.equal(s.port, '/dev/ttyUSB0');
    const bad = normalizeSettings({ baud: 12, chip: 'esp99', before: 'sideways', stub: 1, encryptionMode: 'cloud' });
    assert.deepEqual(bad, DEFAULT_SETTINGS);
  });

  it('takes reset and stub from the build when the settings say "build" (both spellings)', () => {
    const o = flashOptionsFrom(DEFAULT_SETTINGS, plan, { port: 'virtual:esp32s3' });
    assert.equal(o.before, 'default-reset');
    assert.equal(o.after, 'no-reset');
    assert.equal(o.stub, false);
    assert.deepEqual(o.settings, plan.settings);
    assert.equal(o.baud, 460800);
    assert.equal(o.force, undefined);
    assert.equal(o.hostKey, undefined);
  });

  it('lets explicit settings win over the build and passes force, signal and listener', () => {
    const ac = new AbortController();
    const onEvent = () => undefined;
    const o = flashOptionsFrom({ ...DEFAULT_SETTINGS, before: 'usb-reset', after: 'hard-reset', stub: 'stub', compress: false }, plan, {
      port: 'COM3',
      signal: ac.signal,
      onEvent,
      force: true,
    });
    assert.equal(o.before, 'usb-reset');
    assert.equal(o.after, 'hard-reset');
    assert.equal(o.stub, true);
    assert.equal(o.compress, false);
    assert.equal(o.force, true);
    assert.equal(o.signal, ac.signal);
    assert.equal(o.onEvent, onEvent);
  });

  it('resolves key paths against the workspace folder', () => {
    const ws = path.resolve('/work/ws');
    assert.deepEqual(hostKeyFrom({ ...DEFAULT_SETTINGS, keyFile: 'keys/k.bin' }, ws), { keyFile: path.join(ws, 'keys/k.bin') });
    const abs = path.resolve('/keys');
    assert.deepEqual(hostKeyFrom({ ...DEFAULT_SETTINGS, keyFolder: abs }, ws), { keyDir: abs });
    assert.equal(hostKeyFrom(DEFAULT_SETTINGS, ws), undefined);
    const o = flashOptionsFrom({ ...DEFAULT_SETTINGS, keyFile: 'k.bin' }, undefined, { port: 'p', folder: ws });
    assert.deepEqual(o.hostKey, { keyFile: path.join(ws, 'k.bin') });
    assert.equal(o.stub, true, 'no plan: stub by default');
  });

  it('passes the device cache store to the job unless the deviceCache setting is off', () => {
    const store = { read: async () => undefined, write: async () => undefined, where: (k: string) => k };
    assert.equal(flashOptionsFrom(DEFAULT_SETTINGS, undefined, { port: 'p', deviceCache: store }).deviceCache, store);
    assert.equal(flashOptionsFrom({ ...DEFAULT_SETTINGS, deviceCache: false }, undefined, { port: 'p', deviceCache: store }).deviceCache, undefined);
    assert.equal(normalizeSettings({ deviceCache: false }).deviceCache, false);
    assert.equal(normalizeSettings({}).deviceCache, true);
  });
});
