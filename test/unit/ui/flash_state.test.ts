import assert from 'node:assert/strict';
import { statusView } from '../../../src/ui/flash_state';

describe('ui/flash_state', () => {
  it('is the flash button when idle (the port has its own item)', () => {
    assert.deepEqual(statusView({ phase: 'idle', percent: 0, port: '/dev/ttyUSB0' }), {
      text: '$(zap) ESP: Flash',
      tooltip: 'Flash to /dev/ttyUSB0',
      background: 'none',
    });
    assert.match(statusView({ phase: 'idle', percent: 0 }).tooltip, /No port chosen/);
  });

  it('shows percent, segment and speed while flashing', () => {
    const v = statusView({ phase: 'flashing', percent: 42.7, segment: 'app', kbitPerSecond: 611.6, port: 'virtual:esp32c3', operation: 'Flash (Encrypted)' });
    assert.equal(v.text, '$(sync~spin) 42% app 612 kbit/s');
    assert.equal(v.tooltip, 'Flash (Encrypted) on virtual:esp32c3: 42%, writing app');
  });

  it('shows the outcome afterwards, failures on an error background', () => {
    assert.equal(statusView({ phase: 'succeeded', percent: 100, seconds: 3.21, operation: 'Flash' }).text, '$(check) ESP: Flash ok (3.2 s)');
    const failed = statusView({ phase: 'failed', percent: 10, error: 'port busy', operation: 'Flash', port: 'COM3' });
    assert.equal(failed.text, '$(error) ESP: Flash failed');
    assert.equal(failed.background, 'error');
    assert.match(failed.tooltip, /COM3 failed: port busy/);
    assert.equal(statusView({ phase: 'cancelled', percent: 10 }).background, 'warning');
  });

  it('says that a click runs again what was last run', () => {
    const v = statusView({ phase: 'succeeded', percent: 100, seconds: 1, operation: 'Flash (Encrypted)', port: 'COM3' }, 'Flash (Encrypted)');
    assert.equal(v.tooltip, 'Flash (Encrypted) on COM3 succeeded. Click to run Flash (Encrypted) again.');
    assert.match(statusView({ phase: 'failed', percent: 0, operation: 'Flash Segment "app"' }, 'Flash Segment "app"').tooltip, /Click to run Flash Segment "app" again\.$/);
  });
});
