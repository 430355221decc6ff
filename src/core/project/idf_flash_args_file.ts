/**
 * ESP-IDF argument files (build/flash_args, <target>-flash_args, encrypted_*flash_args,
 * flash_project_args of IDF 4.1, …): esptool options and `<offset> <file>` pairs, split over
 * lines in any way. `--encrypt` marks every pair encrypted; pairs after `--encrypt-files` are.
 */
import { parseFlashNumber } from '../formats/bytes';
import { warningProblem, type Problem } from '../plan/problem';

export interface ArgsPair {
  offset: number;
  file: string;
  encrypt: boolean;
  line: number;
}

export interface FlashArgsFile {
  file: string;
  mode?: string;
  size?: string;
  freq?: string;
  /** The file carried --encrypt (all images encrypted). */
  encryptAll: boolean;
  pairs: ArgsPair[];
  problems: Problem[];
}

const VALUE_OPTIONS: Record<string, 'mode' | 'size' | 'freq'> = {
  '--flash_mode': 'mode',
  '--flash-mode': 'mode',
  '-fm': 'mode',
  '--flash_size': 'size',
  '--flash-size': 'size',
  '-fs': 'size',
  '--flash_freq': 'freq',
  '--flash-freq': 'freq',
  '-ff': 'freq',
};

function isOffset(tok: string): boolean {
  return /^(0x[0-9a-f]+|\d+)$/i.test(tok);
}

export function parseFlashArgsFile(text: string, file: string): FlashArgsFile {
  const out: FlashArgsFile = { file, encryptAll: false, pairs: [], problems: [] };
  const tokens: { t: string; line: number }[] = [];
  text.split(/\r?\n/).forEach((l, i) => {
    for (const t of l.trim().split(/\s+/)) if (t !== '') tokens.push({ t, line: i + 1 });
  });
  let encryptFiles = false;
  for (let i = 0; i < tokens.length; i++) {
    const { t, line } = tokens[i];
    const eq = t.indexOf('=');
    const opt = t.startsWith('-') ? (eq > 0 ? t.slice(0, eq) : t) : undefined;
    if (opt !== undefined) {
      const key = VALUE_OPTIONS[opt];
      if (key) {
        const value = eq > 0 ? t.slice(eq + 1) : tokens[++i]?.t;
        if (value === undefined) out.problems.push(warningProblem(`${file} line ${line}: ${opt} has no value.`, file, `line ${line}`));
        else out[key] = value;
      } else if (opt === '--encrypt') {
        out.encryptAll = true;
      } else if (opt === '--encrypt-files' || opt === '--encrypt_files') {
        encryptFiles = true;
      }
      // Other esptool options (--before, --after, --no-stub, -z, …) do not change the list.
      continue;
    }
    if (isOffset(t)) {
      const next = tokens[i + 1];
      if (!next || isOffset(next.t) || next.t.startsWith('-')) {
        out.problems.push(warningProblem(`${file} line ${line}: offset ${t} has no file after it; ignored.`, file, `line ${line}`));
        continue;
      }
      out.pairs.push({ offset: parseFlashNumber(t) as number, file: next.t, encrypt: encryptFiles, line });
      i++;
      continue;
    }
    out.problems.push(warningProblem(`${file} line ${line}: "${t}" is neither an option nor an offset; ignored.`, file, `line ${line}`));
  }
  if (out.encryptAll) for (const p of out.pairs) p.encrypt = true;
  return out;
}
