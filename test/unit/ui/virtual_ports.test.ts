import assert from 'node:assert/strict';
import { CHIP_NAMES } from '../../../src/core/chips';
import { isVirtualPort, virtualPortChoices } from '../../../src/ui/virtual_ports';

describe('ui/virtual_ports', () => {
  it('offers every chip, the plan chip first with an encryption variant', () => {
    const c = virtualPortChoices('esp32s3');
    assert.deepEqual(
      c.slice(0, 2).map((x) => x.path),
      ['virtual:esp32s3', 'virtual:esp32s3:encryption=development'],
    );
    assert.equal(c[0].label, 'Virtual ESP32-S3');
    assert.equal(c.length, CHIP_NAMES.length + 1);
  });

  it('offers no encryption variant for a chip without flash encryption, nor without a plan chip', () => {
    assert.equal(virtualPortChoices('esp8266').filter((x) => x.path.includes('encryption')).length, 0);
    assert.equal(virtualPortChoices().filter((x) => x.path.includes('encryption')).length, 0);
    assert.ok(isVirtualPort('virtual:esp32'));
    assert.ok(!isVirtualPort('/dev/ttyUSB0'));
  });
});
