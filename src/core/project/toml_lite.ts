/**
 * Just enough TOML for espflash.toml / Cargo.toml / .cargo/config.toml: [tables], [[arrays]]
 * (kept as the last one), `key = "string" | 'string' | number | true/false`, comments.
 * Inline tables and arrays are kept as raw text.
 */

export type TomlTables = Map<string, Map<string, string | number | boolean>>;

function value(raw: string): string | number | boolean {
  const t = raw.trim();
  let m = /^"((?:[^"\\]|\\.)*)"/.exec(t);
  if (m) return m[1].replace(/\\(["\\])/g, '$1');
  m = /^'([^']*)'/.exec(t);
  if (m) return m[1];
  const bare = t.replace(/\s+#.*$/, '');
  if (bare === 'true' || bare === 'false') return bare === 'true';
  if (/^[+-]?\d[\d_]*$/.test(bare)) return Number(bare.replace(/_/g, ''));
  if (/^0x[0-9a-f_]+$/i.test(bare)) return parseInt(bare.slice(2).replace(/_/g, ''), 16);
  return bare;
}

export function parseTomlLite(text: string): TomlTables {
  const tables: TomlTables = new Map([['', new Map()]]);
  let cur = tables.get('') as Map<string, string | number | boolean>;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const hdr = /^\[\[?\s*([^\]]+?)\s*\]\]?/.exec(line);
    if (hdr) {
      const name = hdr[1].replace(/\s*\.\s*/g, '.').replace(/"/g, '');
      cur = tables.get(name) ?? new Map();
      tables.set(name, cur);
      continue;
    }
    const kv = /^("[^"]+"|[A-Za-z0-9_.-]+)\s*=\s*(.*)$/.exec(line);
    if (kv) cur.set(kv[1].replace(/"/g, ''), value(kv[2]));
  }
  return tables;
}

export function tomlGet(t: TomlTables, table: string, key: string): string | number | boolean | undefined {
  return t.get(table)?.get(key);
}
