/**
 * The flash map's HTML (for a webview): two lanes to scale — partitions above, the writes of
 * the next flash below (encrypted ones marked) — and a table with every row. No vscode here;
 * the webview passes its CSP source and a nonce. Positions and widths are rules of the nonce'd
 * stylesheet (generated per render), never inline `style` attributes, which the CSP blocks.
 */
import type { FlashMap } from './flash_map_model';
import { formatSize, hexShort } from './output_log';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function pct(n: number, total: number): string {
  return `${Math.min(100, (n / total) * 100).toFixed(4)}%`;
}

/**
 * The boxes' geometry as rules of the nonce'd stylesheet: the webview's CSP blocks inline
 * `style` attributes, so each box gets a class (`g<n>`) whose rule places it to scale.
 */
class Geometry {
  private readonly rules: string[] = [];
  constructor(private readonly total: number) {}
  /** A class that puts a box at `offset` with `size` bytes' width. */
  place(offset: number, size: number): string {
    const cls = `g${this.rules.length}`;
    this.rules.push(`.${cls} { left: ${pct(offset, this.total)}; width: ${pct(Math.max(0, Math.min(size, this.total - offset)), this.total)}; }`);
    return cls;
  }
  css(): string {
    return this.rules.join('\n');
  }
}

/** Ruler marks: every 1/8 of the flash (at least every 64 KiB), labelled in hex. */
function ruler(total: number, geo: Geometry): string {
  let step = 64 * 1024;
  while (total / step > 8) step *= 2;
  const marks: string[] = [];
  for (let at = 0; at < total; at += step) {
    marks.push(`<div class="tick ${geo.place(at, 0)}"><span>${hexShort(at)}</span></div>`);
  }
  return marks.join('\n');
}

export function flashMapHtml(map: FlashMap, opts: { title: string; cspSource: string; nonce: string }): string {
  const total = map.flashSize;
  const geo = new Geometry(total);
  const regionBoxes = map.regions
    .map(
      (r) =>
        `<div class="box ${r.kind}${r.written ? ' written' : ''} ${geo.place(r.offset, r.size)}" data-name="${escapeHtml(r.label)}" data-offset="${r.offset}" data-size="${r.size}" ` +
        `title="${escapeHtml(`${r.label} (${r.detail}) ${hexShort(r.offset)} ${formatSize(r.size)}${r.encryptedFlag ? ', encrypted flag' : ''}`)}">` +
        `<span>${escapeHtml(r.label)}</span></div>`,
    )
    .join('\n');
  const writeBoxes = map.writes
    .map(
      (w) =>
        `<div class="box write ${w.encrypt ? 'encrypted' : 'plain'}${w.beyondEnd ? ' beyond' : ''} ${geo.place(w.offset, w.size)}" data-name="${escapeHtml(w.name)}" data-offset="${w.offset}" data-size="${w.size}" ` +
        `title="${escapeHtml(`${w.name} ${hexShort(w.offset)} ${formatSize(w.size)} ${w.encrypt ? 'encrypted' : 'plain'}`)}">` +
        `<span>${escapeHtml(w.name)}${w.encrypt ? ' (encrypted)' : ''}</span></div>`,
    )
    .join('\n');
  const marks = ruler(total, geo);
  const rows = [
    ...map.regions.map((r) => ({
      offset: r.offset,
      html:
        `<tr class="${r.kind}"><td>${hexShort(r.offset)}</td><td>${formatSize(r.size)}</td><td>${escapeHtml(r.label)}</td>` +
        `<td>${escapeHtml(r.detail)}${r.encryptedFlag ? ', encrypted flag' : ''}</td><td>${r.written ? 'written' : r.kind === 'partition' ? 'kept' : ''}</td></tr>`,
    })),
    ...map.writes.map((w) => ({
      offset: w.offset,
      html:
        `<tr class="write"><td>${hexShort(w.offset)}</td><td>${formatSize(w.size)}</td><td>→ ${escapeHtml(w.name)}</td>` +
        `<td>${w.encrypt ? 'encrypted' : 'plain'}</td><td>${w.beyondEnd ? 'BEYOND THE FLASH END' : 'will be written'}</td></tr>`,
    })),
  ]
    .sort((a, b) => a.offset - b.offset)
    .map((r) => r.html)
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${opts.cspSource} 'nonce-${opts.nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(opts.title)}</title>
<style nonce="${opts.nonce}">
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 8px 16px; }
.lane { position: relative; height: 44px; border: 1px solid var(--vscode-panel-border); margin: 4px 0 12px; }
.box { position: absolute; top: 0; bottom: 0; overflow: hidden; box-sizing: border-box; box-shadow: inset -1px 0 0 var(--vscode-editor-background); font-size: 11px; }
.box span { padding: 2px 4px; white-space: nowrap; display: block; }
.partition { background: var(--vscode-editorWidget-background); }
.partition.written { background: var(--vscode-diffEditor-insertedTextBackground); }
.unpartitioned { background: repeating-linear-gradient(45deg, transparent, transparent 4px, var(--vscode-editorWidget-border) 4px, var(--vscode-editorWidget-border) 5px); }
.write.plain { background: var(--vscode-charts-blue); color: var(--vscode-editor-background); }
.write.encrypted { background: var(--vscode-charts-orange); color: var(--vscode-editor-background); }
.write.beyond { outline: 2px solid var(--vscode-errorForeground); }
table { border-collapse: collapse; margin-top: 8px; }
td, th { padding: 2px 10px; text-align: left; font-family: var(--vscode-editor-font-family); }
tr.write td { color: var(--vscode-textLink-foreground); }
.legend span { margin-right: 16px; }
.swatch { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: middle; border: 1px solid var(--vscode-panel-border); }
.ruler { position: relative; height: 18px; margin: 0 0 4px; font-size: 10px; color: var(--vscode-descriptionForeground); }
.tick { position: absolute; top: 0; bottom: 0; border-left: 1px solid var(--vscode-panel-border); }
.tick span { padding-left: 2px; white-space: nowrap; }
${geo.css()}
</style></head>
<body>
<h2>${escapeHtml(opts.title)}</h2>
<p>Flash size ${formatSize(total)} (${escapeHtml(map.flashSizeSource)}) · writes ${formatSize(map.writtenBytes)}, of which encrypted ${formatSize(map.encryptedBytes)} · free ${formatSize(map.freeBytes)}</p>
<div class="legend"><span><i class="swatch write plain"></i>written plain</span><span><i class="swatch write encrypted"></i>written encrypted</span><span><i class="swatch unpartitioned"></i>not in a partition</span></div>
<h3>Partitions</h3>
<div class="ruler" id="ruler">
${marks}
</div>
<div class="lane" id="partitions" data-flash-size="${total}">
${regionBoxes}
</div>
<h3>What the flash writes</h3>
<div class="lane" id="writes" data-flash-size="${total}">
${writeBoxes}
</div>
<table><thead><tr><th>Offset</th><th>Size</th><th>Name</th><th>Type</th><th></th></tr></thead>
<tbody>
${rows}
</tbody></table>
</body></html>`;
}
