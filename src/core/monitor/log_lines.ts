/**
 * ESP-IDF log lines ("E (1234) wifi: text", level letters E W I D V): level and tag, colours,
 * and the tag/level filter ("wifi:W *:I" shows wifi up to warnings, everything else up to info).
 */
import { InputError } from '../errors';
export type LogLevel = 'E' | 'W' | 'I' | 'D' | 'V';
const ORDER: Record<LogLevel | 'N', number> = { N: 0, E: 1, W: 2, I: 3, D: 4, V: 5 };

const ANSI = /\x1b\[[0-9;]*m/g;
const LOG_LINE = /^([EWIDV]) \((?:\d+|\d\d:\d\d:\d\d\.\d+)\) ([^:]+):/;

export function stripAnsi(s: string): string {
  return s.replace(ANSI, '');
}

export function parseLogLine(line: string): { level: LogLevel; tag: string } | undefined {
  const m = LOG_LINE.exec(stripAnsi(line));
  return m ? { level: m[1] as LogLevel, tag: m[2].trim() } : undefined;
}

const COLOR: Record<LogLevel, string | undefined> = { E: '31', W: '33', I: '32', D: '36', V: '90' };

/** Colour a log line by level, unless the chip already coloured it. */
export function colorize(line: string): string {
  if (line.includes('\x1b[')) return line;
  const p = parseLogLine(line);
  const c = p && COLOR[p.level];
  return c ? `\x1b[0;${c}m${line}\x1b[0m` : line;
}

export class LogFilter {
  private readonly rules = new Map<string, number>();

  /** "tag:L tag2:L *:L" with L one of N E W I D V (N = none). Throws with the bad word. */
  constructor(readonly spec: string) {
    for (const word of spec.split(/[\s,]+/).filter(Boolean)) {
      const m = /^([^:]+)(?::([NEWIDV*]))?$/i.exec(word);
      if (!m) throw new InputError(`Filter "${word}" is not tag:LEVEL (LEVEL one of N E W I D V, e.g. "wifi:W *:I").`);
      const lvl = (m[2] ?? 'V').toUpperCase();
      this.rules.set(m[1], lvl === '*' ? ORDER.V : ORDER[lvl as LogLevel | 'N']);
    }
  }

  /** Show this line? Lines that are not log lines pass unless "*:N". */
  shows(line: string): boolean {
    const p = parseLogLine(line);
    const star = this.rules.get('*');
    if (!p) return star !== 0;
    const max = this.rules.get(p.tag) ?? star ?? (this.rules.size ? ORDER.N : ORDER.V);
    return ORDER[p.level] <= max;
  }
}

export function timestamp(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}
