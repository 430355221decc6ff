/** `esp-flasher flash`: write a build folder or offset/file pairs — plain, compressed or encrypted. */
import { flashSegments } from '../core/flash/flash_job';
import { formatProblem, hasErrors } from '../core/plan/problem';
import { Options, formatOptionHelp, parseArgs, type OptionSpec } from './args';
import { defaultContext, type CliContext, type OutFn } from './cli_context';
import { CONNECT_OPTIONS, parseChipOption } from './connect_options';
import { FLASH_INPUT_OPTIONS, describeSegments, loadFlashInputs } from './flash_inputs';
import { jobConnectOptions } from './flash_job_options';
import { ProgressPrinter } from './progress_printer';

export const OPTIONS: OptionSpec[] = [
  ...FLASH_INPUT_OPTIONS,
  { name: 'no-verify', kind: 'flag', help: 'Do not MD5-check each segment after writing it' },
  { name: 'no-skip', kind: 'flag', help: 'Write every segment whole (default: skip what the flash holds, write only changed 4 KiB sectors)' },
  { name: 'no-compress', kind: 'flag', help: 'Send data uncompressed' },
  { name: 'force', kind: 'flag', help: 'Override the refusals that can be overridden (plaintext onto encrypted flash, chip id…)' },
  { name: 'stub', kind: 'flag', help: 'Use the flasher stub even when the build asks for the ROM loader, and fail rather than continue on the ROM loader if it does not start' },
  ...CONNECT_OPTIONS,
];

export const usage = [
  'Usage: esp-flasher flash --port PORT [options] <build-folder>',
  '       esp-flasher flash --port PORT [options] <offset> <file> [<offset> <file> ...]',
  '',
  'Write a project\'s build output (ESP-IDF build/, PlatformIO project, cargo project) or offset/file',
  'pairs. Flash encryption: --encrypt writes the segments the build marks encrypted through the',
  'chip\'s key (development mode); with --encrypt-key FILE the host encrypts them instead and writes',
  'the ciphertext (the only way in release mode); --encrypt-key-dir DIR picks DIR/<mac>.bin after',
  'connecting. Segments the flash already holds are skipped, and of the others only the 4 KiB sectors',
  'that differ are written (encrypted ones too, when the key is known); --no-skip writes everything.',
  '',
  'Options:',
  ...formatOptionHelp(OPTIONS),
  '',
  'Examples:',
  '  esp-flasher flash --port /dev/ttyUSB0 --baud 921600 build',
  '  esp-flasher flash --port virtual:esp32c3:encryption=development --encrypt build',
  '  esp-flasher flash --port COM3 0x10000 app.bin --encrypt-files 0x0 bootloader.bin',
  '  esp-flasher flash --port /dev/ttyUSB0 --encrypt --encrypt-key flash_key.bin build',
].join('\n');

export async function run(args: string[], out: OutFn, ctx: CliContext = defaultContext(out)): Promise<number> {
  const o = new Options(parseArgs(args, OPTIONS, 'flash'), 'flash');
  const userChip = parseChipOption(o.string('chip'));
  const inputs = await loadFlashInputs(o, userChip === 'auto' ? undefined : userChip);
  for (const p of inputs.problems) (p.severity === 'error' ? ctx.err : out)(formatProblem(p));
  if (hasErrors(inputs.problems)) {
    ctx.err(`Nothing was written: ${inputs.source} has ${inputs.problems.filter((p) => p.severity === 'error').length} error(s), listed above. Fix them and run again.`);
    return 1;
  }
  const { connect, notes } = jobConnectOptions(o, inputs.plan, userChip);
  out(`Flashing ${inputs.source}${inputs.plan.flashEncryption && inputs.plan.flashEncryption !== 'off' ? ` (flash encryption: ${inputs.plan.flashEncryption})` : ''}:`);
  for (const line of describeSegments(inputs.segments)) out(line);
  for (const n of notes) out(n);

  const printer = new ProgressPrinter(out, { tty: ctx.tty, rawWrite: ctx.rawWrite, offsets: inputs.segments.map((s) => s.offset) });
  let result;
  try {
    result = await flashSegments(inputs.segments, {
      ...connect,
      settings: inputs.settings,
      compress: !o.has('no-compress'),
      verify: !o.has('no-verify'),
      skipUnchanged: !o.has('no-skip'),
      force: o.has('force'),
      ...(inputs.hostKey ? { hostKey: inputs.hostKey } : {}),
      signal: ctx.signal,
      onEvent: printer.listener,
    });
  } finally {
    printer.finish();
  }
  if (!result.ok) {
    ctx.err(`Error: ${result.error ?? 'flashing failed.'}`);
    return result.cancelled ? 130 : 1;
  }
  return 0;
}
