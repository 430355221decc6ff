import assert from 'node:assert/strict';
import type { PartitionRef, PlanSegment } from '../../../src/core/plan/flash_plan';
import { escapeHtml, flashMapHtml } from '../../../src/ui/flash_map_html';
import { buildFlashMap } from '../../../src/ui/flash_map_model';

const KiB = 1024;
const MiB = 1024 * KiB;

function seg(name: string, offset: number, size: number, encrypt: boolean): PlanSegment {
  return { name, offset, bytes: new Uint8Array(size), encrypt };
}
function part(label: string, offset: number, size: number, typeName = 'data', subtypeName = 'nvs'): PartitionRef {
  return { label, type: 0, subtype: 0, typeName, subtypeName, offset, size, encrypted: false };
}

describe('ui/flash_map', () => {
  const segments = [seg('bootloader', 0, 0x5000, true), seg('partition-table', 0x8000, 0xc00, true), seg('app', 0x10000, 0x80000, true), seg('storage', 0x110000, 0x10000, false)];
  const partitions = [part('nvs', 0x9000, 0x6000), part('factory', 0x10000, 0x100000, 'app', 'factory'), part('storage', 0x110000, 0x20000, 'data', 'spiffs')];

  it('covers the flash: partitions, the area before them and the unpartitioned rest', () => {
    const map = buildFlashMap({ segments, partitions, sizeSetting: '2MB', isEncrypted: (s) => s.encrypt });
    assert.equal(map.flashSize, 2 * MiB);
    assert.equal(map.flashSizeSource, 'build (2MB)');
    assert.deepEqual(
      map.regions.map((r) => `${r.label}@${r.offset.toString(16)}+${r.size.toString(16)}${r.written ? '*' : ''}`),
      ['bootloader area@0+9000*', 'nvs@9000+6000', 'unpartitioned@f000+1000', 'factory@10000+100000*', 'storage@110000+20000*', 'unpartitioned@130000+d0000'],
    );
    assert.equal(map.writtenBytes, 0x5000 + 0xc00 + 0x80000 + 0x10000);
    assert.equal(map.encryptedBytes, 0x5000 + 0xc00 + 0x80000);
    // free = 2 MiB − (bootloader + table + the three partitions)
    assert.equal(map.freeBytes, 2 * MiB - 0x5000 - 0xc00 - 0x6000 - 0x100000 - 0x20000);
  });

  it('prefers the device’s flash size, estimates when the build says detect, flags writes past the end', () => {
    assert.equal(buildFlashMap({ segments, partitions, sizeSetting: '2MB', deviceFlashSize: 4 * MiB, isEncrypted: () => false }).flashSizeSource, 'device');
    const est = buildFlashMap({ segments, partitions, sizeSetting: 'detect', isEncrypted: () => false });
    assert.equal(est.flashSize, 2 * MiB);
    assert.match(est.flashSizeSource, /estimated/);
    const small = buildFlashMap({ segments, partitions, sizeSetting: '1MB', isEncrypted: () => false });
    assert.deepEqual(
      small.writes.filter((w) => w.beyondEnd).map((w) => w.name),
      ['storage'],
    );
  });

  it('draws to scale with encrypted writes marked, and escapes names', () => {
    const map = buildFlashMap({ segments: [seg('<app>', 0x10000, 0x10000, true)], partitions: [], sizeSetting: '1MB', isEncrypted: (s) => s.encrypt });
    const html = flashMapHtml(map, { title: 'T & <b>', cspSource: 'vscode-resource:', nonce: 'n0nce' });
    const box = /class="box write encrypted (g\d+)" data-name="&lt;app&gt;" data-offset="65536" data-size="65536"/.exec(html);
    assert.ok(box, 'the write box with its geometry class and data');
    // Geometry lives in the nonce'd stylesheet: the CSP blocks inline style attributes.
    assert.match(html, new RegExp(`<style nonce="n0nce">[^]*\\.${box[1]} \\{ left: 6\\.2500%; width: 6\\.2500%; \\}[^]*</style>`));
    assert.doesNotMatch(html, /\sstyle="/);
    assert.match(html, /<div class="lane" id="writes" data-flash-size="1048576">/);
    assert.match(html, /<span>&lt;app&gt; \(encrypted\)<\/span>/);
    assert.match(html, /<h2>T &amp; &lt;b&gt;<\/h2>/);
    assert.match(html, /style-src vscode-resource: 'nonce-n0nce'/);
    assert.doesNotMatch(html, /<script/);
    assert.equal(escapeHtml(`"'&`), '&quot;&#39;&amp;');
  });
});
