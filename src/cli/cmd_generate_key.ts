/**
 * `esp-flasher generate-key --chip CHIP [--xts-256] --output key.bin` — a new random
 * flash-encryption key file of the right size for the chip. Never overwrites a file and never
 * burns anything: burning the key into eFuse (espefuse burn-key) stays a deliberate step.
 */
import { chipFacts } from '../core/chips';
import { newFlashKey, writeNewKeyFile } from '../core/crypto/key_generation';
import { formatOptionHelp, Options, parseArgs, UsageError, type OptionSpec } from './args';
import type { CliContext } from './cli_context';

const COMMAND = 'generate-key';

const OPTIONS: OptionSpec[] = [
  { name: 'chip', short: 'c', kind: 'value', valueName: 'CHIP', help: 'Chip the key is for (decides scheme and size), e.g. esp32c3' },
  { name: 'xts-256', kind: 'flag', help: '64-byte XTS-AES-256 key (ESP32-S2, ESP32-S3, ESP32-P4); default 32 bytes' },
  { name: 'output', short: 'o', kind: 'value', valueName: 'FILE', help: 'Key file to create (must not exist)' },
];

export const usage = (): string =>
  [
    'Usage: esp-flasher generate-key --chip CHIP [--xts-256] --output FILE',
    '',
    'Write a new random flash-encryption key file (raw bytes, as espsecure writes them).',
    'The key is not burned into the chip; keep a copy: a device encrypted with a lost key cannot be updated.',
    '',
    'Options:',
    ...formatOptionHelp(OPTIONS),
    '',
    'Example: esp-flasher generate-key --chip esp32s3 --xts-256 --output flash_key.bin',
  ].join('\n');

export async function run(args: string[], out: (line: string) => void, _ctx?: CliContext): Promise<number> {
  const opts = new Options(
    parseArgs(
      args.map((a) => (a === '--xts_256' ? '--xts-256' : a)),
      OPTIONS,
      COMMAND,
    ),
    COMMAND,
  );
  if (opts.has('help')) {
    out(usage());
    return 0;
  }
  if (opts.positionals.length) throw new UsageError(`unexpected argument ${opts.positionals[0]}; give the file with --output.`, COMMAND);
  const chipName = opts.string('chip');
  const output = opts.string('output');
  if (!chipName) throw new UsageError(`--chip is required (the key's size depends on the chip). Run "esp-flasher ${COMMAND} --help".`, COMMAND);
  if (!output) throw new UsageError(`--output is required. Run "esp-flasher ${COMMAND} --help".`, COMMAND);
  let chip;
  try {
    chip = chipFacts(chipName);
  } catch (e) {
    throw new UsageError(`--chip: ${(e as Error).message}`, COMMAND);
  }
  const key = newFlashKey(chip.name, { xts256: opts.has('xts-256') });
  writeNewKeyFile(output, key.bytes);
  out(`Wrote a new ${key.description} for ${chip.displayName} to ${output}.`);
  out('It is not burned into any chip. Keep a safe copy; burn it with espefuse only when you mean to.');
  return 0;
}
