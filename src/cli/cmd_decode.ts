/** `esp-flasher decode --elf F "<text>"`: the monitor's crash decoding for pasted logs (CI, bug reports). */
import * as fs from 'node:fs';
import type { ChipName } from '../core/chips';
import { CrashDecoder } from '../core/monitor/crash_decoder';
import { ElfDecoder } from '../core/monitor/elf_decoder';
import { Options, UsageError, formatOptionHelp, parseArgs, type OptionSpec } from './args';
import { defaultContext, type CliContext, type OutFn } from './cli_context';
import { parseChipOption } from './connect_options';

export const OPTIONS: OptionSpec[] = [
  { name: 'elf', kind: 'value', valueName: 'FILE', help: 'The app ELF the addresses belong to (required)' },
  { name: 'file', short: 'f', kind: 'value', valueName: 'LOG', help: 'Read the text from LOG ("-" = standard input) instead of the arguments' },
  { name: 'chip', short: 'c', kind: 'value', valueName: 'CHIP', help: 'Chip, to name its ROM addresses (default: any ESP32-family ROM range)' },
];

export const usage = [
  'Usage: esp-flasher decode --elf FILE "<text with addresses>" ...',
  '       esp-flasher decode --elf FILE --file crash.log',
  '',
  'Print each line, and after it every code address in it as the monitor shows it:',
  '  --- 0x400d1234: app_main at /project/main/main.c:12',
  'Addresses in the chip\'s ROM are "in ROM"; others are skipped. A warning says when the log\'s',
  '"ELF file SHA256" does not match FILE.',
  '',
  'Options:',
  ...formatOptionHelp(OPTIONS),
].join('\n');

export async function run(args: string[], out: OutFn, ctx: CliContext = defaultContext(out)): Promise<number> {
  const o = new Options(parseArgs(args, OPTIONS, 'decode'), 'decode');
  const elfFile = o.string('elf');
  if (!elfFile) throw new UsageError('--elf FILE is required: the app ELF the addresses come from (ESP-IDF build/<app>.elf, PlatformIO .pio/build/<env>/firmware.elf).', 'decode');
  const chip = parseChipOption(o.string('chip'));
  const from = o.string('file');
  let text: string;
  if (from !== undefined) text = fs.readFileSync(from === '-' ? 0 : from, 'utf8');
  else if (o.positionals.length) text = o.positionals.join('\n');
  else throw new UsageError('Give the text to decode as arguments, or --file LOG (- for standard input).', 'decode');
  const elf = ElfDecoder.load(elfFile, chip === 'auto' ? undefined : (chip as ChipName));
  if (elf.missing.length) ctx.err(`--- Decoding is partial: ${elf.file} has ${elf.missing.join('; ')}.`);
  const d = new CrashDecoder(elf, { everyLine: true });
  for (const line of text.split(/\r?\n/)) {
    out(line);
    for (const extra of d.line(line)) out(extra);
  }
  return 0;
}
