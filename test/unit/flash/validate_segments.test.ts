import assert from 'node:assert/strict';
import { validateSegments } from '../../../src/core/flash/validate_segments';
import type { WriteSegment } from '../../../src/core/flash/api';

const seg = (name: string, offset: number, size: number): WriteSegment => ({ name, offset, bytes: new Uint8Array(size), encrypt: 'off' });

describe('flash/validate_segments', () => {
  it('accepts segments in separate sectors, in any order', () => {
    assert.doesNotThrow(() => validateSegments([seg('app', 0x10000, 0x2345), seg('bootloader', 0x0, 0x1fff), seg('partition-table', 0x8000, 0xc00)]));
  });

  it('refuses an empty list, an empty segment and a bad offset', () => {
    assert.throws(() => validateSegments([]), /Nothing to flash/);
    assert.throws(() => validateSegments([seg('app', 0x10000, 0)]), /Segment "app" at 0x10000 is empty/);
    assert.throws(() => validateSegments([seg('app', -1, 4)]), /offset -1, which is not a flash address/);
  });

  it('refuses overlapping segments, naming both', () => {
    assert.throws(() => validateSegments([seg('a', 0x1000, 0x2000), seg('b', 0x2000, 0x100)]), /Segments "a" \(0x1000–0x3000\) and "b" \(starts 0x2000\) overlap/);
  });
});
