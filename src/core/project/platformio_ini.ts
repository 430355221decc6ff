/** platformio.ini: sections, `key = value` (indented continuation lines), `;`/`#` comments, env inheritance. */

export interface PioIni {
  sections: Map<string, Map<string, string>>;
  /** Names of [env:NAME] sections, in file order. */
  envs: string[];
  /** [platformio] default_envs. */
  defaultEnvs: string[];
}

function stripInlineComment(v: string): string {
  const m = /\s[;#]/.exec(v);
  return (m ? v.slice(0, m.index) : v).trim();
}

export function parsePlatformioIni(text: string): PioIni {
  const sections = new Map<string, Map<string, string>>();
  let cur: Map<string, string> | undefined;
  let lastKey: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*[;#]/.test(raw) || raw.trim() === '') continue;
    const sec = /^\s*\[([^\]]+)\]/.exec(raw);
    if (sec) {
      cur = new Map();
      sections.set(sec[1].trim(), cur);
      lastKey = undefined;
      continue;
    }
    if (!cur) continue;
    if (/^\s/.test(raw) && lastKey) {
      const more = stripInlineComment(raw);
      if (more) cur.set(lastKey, `${cur.get(lastKey) ?? ''}\n${more}`.trim());
      continue;
    }
    const kv = /^([^=]+)=(.*)$/.exec(raw);
    if (kv) {
      lastKey = kv[1].trim();
      cur.set(lastKey, stripInlineComment(kv[2]));
    }
  }
  const envs = [...sections.keys()].filter((k) => k.startsWith('env:')).map((k) => k.slice(4).trim());
  const defaults = sections.get('platformio')?.get('default_envs') ?? '';
  return { sections, envs, defaultEnvs: defaults.split(/[\s,]+/).filter((x) => x !== '') };
}

/** An option of [env:NAME], following `extends` and falling back to [env]. */
export function envOption(ini: PioIni, env: string, key: string, depth = 0): string | undefined {
  const sec = ini.sections.get(`env:${env}`);
  const direct = sec?.get(key);
  if (direct !== undefined) return direct;
  const ext = sec?.get('extends');
  if (ext && depth < 8) {
    for (const parent of ext.split(/[\s,]+/).filter((x) => x)) {
      const name = parent.startsWith('env:') ? parent.slice(4) : parent;
      const v = ini.sections.has(`env:${name}`) ? envOption(ini, name, key, depth + 1) : ini.sections.get(parent)?.get(key);
      if (v !== undefined) return v;
    }
  }
  return ini.sections.get('env')?.get(key);
}
