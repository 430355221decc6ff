import { strict as assert } from 'node:assert';
import type { DeviceInfo } from '../../../src/core/flash/api';
import { deviceRefusals } from '../../../src/core/line/device_checks';
import { lineExitCode } from '../../../src/core/line/line_runner';

const device = (extra: Partial<DeviceInfo> = {}): DeviceInfo => ({
  chip: 'esp32c3',
  description: 'ESP32-C3',
  mac: '24:0a:c4:00:00:01',
  flashSize: 4 * 1024 * 1024,
  flashEncryption: 'off',
  cryptCounter: 0,
  secureBoot: false,
  secureDownloadMode: false,
  keyPresent: false,
  stub: true,
  ...extra,
});
const segs = [{ name: 'bootloader', offset: 0, bytes: new Uint8Array(1), encrypt: 'off' as const }];

describe('line/device_checks', () => {
  it('passes a device that meets the expectations', () => {
    assert.deepEqual(deviceRefusals(device(), { chip: 'esp32c3', minFlashSize: 4 * 1024 * 1024 }, segs), []);
    assert.deepEqual(deviceRefusals(device({ flashSize: undefined }), {}, segs), []);
  });

  it('refuses another chip, too little flash and an unknown flash size — as data, not overridable', () => {
    const r = deviceRefusals(device({ chip: 'esp32s3', flashSize: 2 * 1024 * 1024 }), { chip: 'esp32c3', minFlashSize: 4 * 1024 * 1024 }, segs);
    assert.equal(r.length, 2);
    assert.match(r[0].message, /This device is ESP32-S3 \(MAC 24:0a:c4:00:00:01\), but the line flashes ESP32-C3/);
    assert.match(r[1].message, /has 2 MB of flash, less than the 4 MB/);
    assert.ok(r.every((x) => !x.overridable && x.segment === 'bootloader' && x.offset === 0));
    assert.match(deviceRefusals(device({ flashSize: undefined }), { minFlashSize: 1 }, segs)[0].message, /could not be detected/);
  });

  it('exit code: 0 only when every device succeeded; 130 on Ctrl-C', () => {
    const ok = { result: 'ok' } as never;
    const bad = { result: 'failed' } as never;
    assert.equal(lineExitCode([ok, ok], false), 0);
    assert.equal(lineExitCode([ok, bad], false), 1);
    assert.equal(lineExitCode([], false), 1);
    assert.equal(lineExitCode([ok], true), 130);
  });
});
