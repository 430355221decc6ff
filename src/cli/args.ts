/**
 * A tiny hand-written command-line option parser (no dependency).
 *
 * Each command declares its options as OptionSpec entries; parseArgs() splits argv into
 * options and positionals and reports misuse as a UsageError whose message names the
 * option, says what was expected and how to get help.
 */

export type OptionKind =
  /** `--no-verify`: present or not. */
  | 'flag'
  /** `--baud 921600` or `--baud=921600`; `arity` values (default 1), e.g. `--region <offset> <size>`. */
  | 'value'
  /** `--encrypt-files <offset> <file> ...`: every following word up to the next option. */
  | 'list';

export interface OptionSpec {
  /** Long name without the dashes ("baud"). */
  name: string;
  /** One-letter alias without the dash ("b"). */
  short?: string;
  kind: OptionKind;
  /** Number of values a 'value' option takes (default 1). */
  arity?: number;
  /** What the values are called in help text ("BAUD", "OFFSET SIZE"). */
  valueName?: string;
  help: string;
  /** May be given more than once ('value' only); values accumulate. */
  repeatable?: boolean;
  /** 'list' only: the number of words must be a multiple of this (2 for offset/file pairs). */
  multipleOf?: number;
}

export interface ParsedArgs {
  /** Long name → values (flags map to an empty array). */
  options: Map<string, string[]>;
  positionals: string[];
}

/** The user typed something the command does not accept; printed with a pointer to --help. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

function helpHint(command: string): string {
  return `Run "esp-flasher ${command} --help" for the options.`;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

/** The closest known option name, when one is close enough to be a typo. */
export function suggestOption(typed: string, specs: OptionSpec[]): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const s of specs) {
    const d = editDistance(typed, s.name);
    if (!best || d < best.d) best = { name: s.name, d };
  }
  // Underscore spelling (esptool 4: --flash_mode) is a distance of one per underscore.
  if (best && best.d <= Math.max(2, Math.floor(typed.length / 4))) return best.name;
  return undefined;
}

function looksLikeOption(word: string): boolean {
  return word.startsWith('--') || /^-[A-Za-z]$/.test(word);
}

/**
 * Parse argv (without the command word) against the command's options.
 * `--` ends option parsing; `--name=value` is accepted for single-value options;
 * `--help`/`-h` is always accepted and reported as option "help".
 */
export function parseArgs(argv: string[], specs: OptionSpec[], command: string): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]));
  const options = new Map<string, string[]>();
  const positionals: string[] = [];

  let i = 0;
  while (i < argv.length) {
    const word = argv[i++];
    if (word === '--') {
      positionals.push(...argv.slice(i));
      break;
    }
    if (word === '--help' || word === '-h') {
      options.set('help', []);
      continue;
    }
    if (!looksLikeOption(word)) {
      positionals.push(word);
      continue;
    }

    let name: string;
    let inline: string | undefined;
    let spec: OptionSpec | undefined;
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      name = eq >= 0 ? word.slice(2, eq) : word.slice(2);
      inline = eq >= 0 ? word.slice(eq + 1) : undefined;
      spec = byName.get(name);
    } else {
      name = word.slice(1);
      spec = byShort.get(name);
    }
    if (!spec) {
      const guess = word.startsWith('--') ? suggestOption(name, specs) : undefined;
      throw new UsageError(`Unknown option ${word} for "${command}".` + (guess ? ` Did you mean --${guess}?` : '') + ` ${helpHint(command)}`, command);
    }
    const shown = `--${spec.name}`;

    if (spec.kind === 'flag') {
      if (inline !== undefined) throw new UsageError(`Option ${shown} takes no value (got "${word}"). ${helpHint(command)}`, command);
      options.set(spec.name, []);
      continue;
    }

    if (options.has(spec.name) && !spec.repeatable) {
      throw new UsageError(`Option ${shown} was given twice; give it once. ${helpHint(command)}`, command);
    }

    const values: string[] = [];
    if (spec.kind === 'value') {
      const arity = spec.arity ?? 1;
      if (inline !== undefined) {
        if (arity !== 1) {
          throw new UsageError(`Option ${shown} takes ${arity} values (${spec.valueName ?? 'VALUE'}) separated by spaces, not "=". ${helpHint(command)}`, command);
        }
        if (inline === '') throw new UsageError(`Option ${shown} needs a value (${spec.valueName ?? 'VALUE'}). ${helpHint(command)}`, command);
        values.push(inline);
      } else {
        for (let k = 0; k < arity; k++) {
          const v = argv[i];
          if (v === undefined || looksLikeOption(v)) {
            const need = arity === 1 ? 'a value' : `${arity} values`;
            throw new UsageError(`Option ${shown} needs ${need} (${spec.valueName ?? 'VALUE'})` + (k > 0 ? `, got only ${k}` : '') + `. ${helpHint(command)}`, command);
          }
          values.push(v);
          i++;
        }
      }
    } else {
      if (inline !== undefined) values.push(inline);
      while (i < argv.length && !looksLikeOption(argv[i])) values.push(argv[i++]);
      if (values.length === 0) {
        throw new UsageError(`Option ${shown} needs at least one value (${spec.valueName ?? 'VALUE ...'}). ${helpHint(command)}`, command);
      }
      const m = spec.multipleOf ?? 1;
      if (values.length % m !== 0) {
        throw new UsageError(
          `Option ${shown} takes ${spec.valueName ?? 'values'} in groups of ${m}; got ${values.length} word(s): ${values.join(' ')}. ${helpHint(command)}`,
          command,
        );
      }
    }
    options.set(spec.name, [...(options.get(spec.name) ?? []), ...values]);
  }
  return { options, positionals };
}

/** Parse a flash offset/size: decimal, 0x-hex, or with a K/M suffix (64K, 1M). */
export function parseNumber(text: string, what: string): number {
  const t = text.trim();
  let n: number;
  const suffix = /^(\d+)([kKmM])$/.exec(t);
  if (/^0x[0-9a-f]+$/i.test(t)) n = parseInt(t.slice(2), 16);
  else if (/^\d+$/.test(t)) n = parseInt(t, 10);
  else if (suffix) n = Number(suffix[1]) * (suffix[2].toLowerCase() === 'k' ? 1024 : 1024 * 1024);
  else throw new UsageError(`${what}: "${text}" is not a number; write it as 0x10000, 65536 or 64K.`);
  if (!Number.isSafeInteger(n) || n > 0xffffffff) throw new UsageError(`${what}: "${text}" is out of range (at most 0xFFFFFFFF).`);
  return n;
}

/** Typed accessors over ParsedArgs. */
export class Options {
  constructor(
    readonly parsed: ParsedArgs,
    readonly command: string,
  ) {}

  get positionals(): string[] {
    return this.parsed.positionals;
  }

  has(name: string): boolean {
    return this.parsed.options.has(name);
  }

  string(name: string): string | undefined {
    const v = this.parsed.options.get(name);
    return v && v.length ? v[v.length - 1] : undefined;
  }

  values(name: string): string[] {
    return this.parsed.options.get(name) ?? [];
  }

  number(name: string): number | undefined {
    const v = this.string(name);
    return v === undefined ? undefined : parseNumber(v, `--${name}`);
  }

  /** A value that must be one of `choices`; underscores are read as hyphens (esptool 4 spelling). */
  choice<T extends string>(name: string, choices: readonly T[]): T | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    const norm = v.replace(/_/g, '-').toLowerCase();
    const hit = choices.find((c) => c === norm);
    if (!hit) throw new UsageError(`--${name}: "${v}" is not one of ${choices.join(', ')}. ${helpHint(this.command)}`, this.command);
    return hit;
  }
}

/** Help text lines for a list of options, aligned. */
export function formatOptionHelp(specs: OptionSpec[]): string[] {
  const heads = specs.map((s) => {
    const short = s.short ? `-${s.short}, ` : '';
    const value = s.kind === 'flag' ? '' : ` ${s.valueName ?? 'VALUE'}${s.kind === 'list' ? ' ...' : ''}`;
    return `  ${short}--${s.name}${value}`;
  });
  const width = Math.min(38, Math.max(...heads.map((h) => h.length)) + 2);
  return specs.map((s, k) => {
    const h = heads[k];
    return h.length + 1 >= width ? `${h}\n${' '.repeat(width)}${s.help}` : `${h.padEnd(width)}${s.help}`;
  });
}
