/** `esp-flasher verify`: compare the flash with a build folder or offset/file pairs (MD5 per segment). */
import { verifySegments } from '../core/flash/device_ops';
import { Options, formatOptionHelp, parseArgs, type OptionSpec } from './args';
import { defaultContext, type CliContext, type OutFn } from './cli_context';
import { CONNECT_OPTIONS, parseChipOption } from './connect_options';
import { FLASH_INPUT_OPTIONS, IMAGE_OFFSET_OPTION, inputProblemsStop, loadFlashInputs } from './flash_inputs';
import { jobConnectOptions } from './flash_job_options';
import { ProgressPrinter, hex8 } from './progress_printer';

const OPTIONS: OptionSpec[] = [
  ...FLASH_INPUT_OPTIONS,
  IMAGE_OFFSET_OPTION,
  { name: 'stub', kind: 'flag', help: 'Use the flasher stub even when the build asks for the ROM loader' },
  ...CONNECT_OPTIONS,
];

export const usage = [
  'Usage: esp-flasher verify --port PORT [options] <build-folder>',
  '       esp-flasher verify --port PORT [options] <offset> <file> [<offset> <file> ...]',
  '       esp-flasher verify --port PORT [options] <image.bin> [--offset OFFSET]',
  '',
  'Check that the flash holds what "flash" with the same arguments would write (MD5 per segment).',
  'Encrypted segments (--encrypt / --encrypt-files) can be checked only with the key: give',
  '--encrypt-key FILE (or --encrypt-key-dir DIR); the expected ciphertext is computed on the host.',
  '',
  'Options:',
  ...formatOptionHelp(OPTIONS),
].join('\n');

export async function run(args: string[], out: OutFn, ctx: CliContext = defaultContext(out)): Promise<number> {
  const o = new Options(parseArgs(args, OPTIONS, 'verify'), 'verify');
  const userChip = parseChipOption(o.string('chip'));
  const inputs = await loadFlashInputs(o, userChip === 'auto' ? undefined : userChip, { singleImage: true });
  // The write rules (coded problems: alignment, shared sectors, encrypted regions…) do not concern reading back.
  if (inputProblemsStop(inputs, 'skip', out, ctx.err, 'verified')) return 1;
  const { connect } = jobConnectOptions(o, inputs.plan, userChip);
  // With a key, 'device' segments are checked against the ciphertext computed on the host.
  const segments = inputs.segments;
  const printer = new ProgressPrinter(out, { tty: false });
  const results = await verifySegments(segments, {
    ...connect,
    after: connect.after ?? 'no-reset',
    settings: inputs.settings,
    ...(inputs.hostKey ? { hostKey: inputs.hostKey } : {}),
    signal: ctx.signal,
    onEvent: printer.listener,
  });
  const width = Math.max(4, ...results.map((r) => r.name.length));
  let bad = 0;
  results.forEach((r, i) => {
    const seg = segments[i];
    const at = seg ? hex8(seg.offset) : '';
    let verdict: string;
    if (r.ok) verdict = `OK (MD5 ${r.actual})`;
    else if (r.expected.startsWith('unverifiable')) verdict = `NOT CHECKED: ${r.expected.replace(/^unverifiable: /, '')}`;
    else verdict = `DIFFERENT: flash MD5 ${r.actual}, expected ${r.expected}`;
    if (!r.ok) bad++;
    out(`  ${r.name.padEnd(width)}  ${at}  ${verdict}`);
  });
  if (bad) {
    ctx.err(`Error: ${bad} of ${results.length} segment(s) could not be confirmed (listed above). Flash again, or give the key for encrypted segments.`);
    return 1;
  }
  out(`All ${results.length} segment(s) match.`);
  return 0;
}
