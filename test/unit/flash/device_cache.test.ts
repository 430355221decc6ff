import { strict as assert } from 'node:assert';
import { deviceKey, diffWithRegion, formatRecord, parseRecord, regionOf, updatedRecord, defaultCacheDir, type DeviceIdentityKey } from '../../../src/core/flash/device_cache';

const device: DeviceIdentityKey = { chip: 'esp32c3', mac: 'aa:bb:cc:dd:ee:ff', flashId: 0x16405e };
const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe('device cache records', () => {
  it('names a record by chip, MAC and flash ID', () => {
    assert.equal(deviceKey(device), 'esp32c3-aabbccddeeff-16405e');
  });

  it('reads back what it wrote, and refuses another device, another version, bad hashes, overlaps', () => {
    const r = { device, regions: [regionOf(0x10000, bytes(0x2100, 1)), regionOf(0x1000, bytes(0x700, 2))] };
    const text = formatRecord(r);
    const back = parseRecord(text, device);
    assert.ok('record' in back);
    assert.deepEqual(
      back.record.regions.map((g) => [g.offset, g.length, g.sectors.length]),
      [
        [0x1000, 0x700, 1],
        [0x10000, 0x2100, 3],
      ],
    );
    const j = JSON.parse(text);
    const problemOfText = (t: string) => {
      const p = parseRecord(t, device);
      return 'problem' in p ? p.problem : '';
    };
    const problem = (o: unknown) => problemOfText(JSON.stringify(o));
    assert.match(problemOfText('{"format":'), /not JSON/);
    assert.match(problem({ ...j, device: { ...device, mac: '00:00:00:00:00:00' } }), /another device/);
    assert.match(problem({ ...j, version: 9 }), /version 9/);
    assert.match(problem({ ...j, regions: [{ ...j.regions[0], md5: 'xyz' }] }), /malformed region/);
    assert.match(problem({ ...j, regions: [{ ...j.regions[1], sectors: j.regions[1].sectors.slice(1) }] }), /malformed region/);
    assert.match(problem({ ...j, regions: [j.regions[1], { ...j.regions[1], offset: 0x11000, length: 0x100, sectors: [j.regions[1].sectors[0]] }] }), /overlapping/);
  });

  it('diffs a segment against a confirmed region sector by sector; unknown pieces count as changed', () => {
    const old = bytes(0x3000, 5);
    const region = regionOf(0x10000, old);
    assert.equal(diffWithRegion(region, 0x10000, old).identical, true);
    const one = Uint8Array.from(old);
    one[0x1005] ^= 1;
    const d = diffWithRegion(region, 0x10000, one);
    assert.deepEqual(d.ranges, [{ start: 0x11000, end: 0x12000 }]);
    assert.equal(d.changed, 1);
    assert.equal(d.total, 3);
    const shorter = diffWithRegion(region, 0x10000, old.subarray(0, 0x2800));
    assert.deepEqual(shorter.ranges, [{ start: 0x12000, end: 0x12800 }]);
  });

  it('after a job: verified regions replace what they overlap; touched sectors drop the regions they meet', () => {
    const a = regionOf(0x1000, bytes(0x800, 1)); // ends mid-sector at 0x1800
    const b = regionOf(0x8000, bytes(0xc00, 2));
    const c = regionOf(0x10000, bytes(0x4000, 3));
    const before = { device, regions: [a, b, c] };
    const c2 = regionOf(0x10000, bytes(0x2000, 4));
    // A write at 0x1a00 erases the sector 0x1000–0x2000 that region a lies in.
    const after = updatedRecord(before, device, [c2], [{ start: 0x1a00, end: 0x1c00 }]);
    assert.deepEqual(
      after.regions.map((g) => [g.offset, g.length]),
      [
        [0x8000, 0xc00],
        [0x10000, 0x2000],
      ],
    );
  });

  it('lives in $XDG_CACHE_HOME/esp-flasher, else ~/.cache/esp-flasher', () => {
    assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '/x/cache' }, '/home/u'), '/x/cache/esp-flasher');
    assert.equal(defaultCacheDir({ XDG_CACHE_HOME: 'relative' }, '/home/u'), '/home/u/.cache/esp-flasher');
    assert.equal(defaultCacheDir({}, '/home/u'), '/home/u/.cache/esp-flasher');
  });
});
