/** `esp-flasher erase [--region <offset> <size>]`: erase the whole flash or a 4 KiB-aligned region. */
import { eraseFlash, eraseRegion } from '../core/flash/device_ops';
import { Options, formatOptionHelp, parseArgs, parseNumber, UsageError, type OptionSpec } from './args';
import { defaultContext, type CliContext, type OutFn } from './cli_context';
import { CONNECT_OPTIONS, connectOptionsFrom } from './connect_options';
import { ProgressPrinter, hex8 } from './progress_printer';

const OPTIONS: OptionSpec[] = [
  { name: 'region', kind: 'value', arity: 2, valueName: 'OFFSET SIZE', help: 'Erase only this region (multiples of 4 KiB, e.g. 0x9000 0x6000)' },
  ...CONNECT_OPTIONS,
];

export const usage = [
  'Usage: esp-flasher erase --port PORT [--region <offset> <size>]',
  '',
  'Erase the whole flash (every byte becomes 0xFF), or only a region. Region offset and size',
  'must be multiples of 4 KiB (0x1000).',
  '',
  'Options:',
  ...formatOptionHelp(OPTIONS),
].join('\n');

export async function run(args: string[], out: OutFn, ctx: CliContext = defaultContext(out)): Promise<number> {
  const o = new Options(parseArgs(args, OPTIONS, 'erase'), 'erase');
  if (o.positionals.length) {
    throw new UsageError(`"erase" takes no positional arguments (got ${o.positionals.join(' ')}); to erase a region write --region <offset> <size>.`);
  }
  const connect = connectOptionsFrom(o);
  const printer = new ProgressPrinter(out, { tty: false });
  const opts = { ...connect, signal: ctx.signal, onEvent: printer.listener };
  const started = Date.now();
  if (o.has('region')) {
    const [a, b] = o.values('region');
    const offset = parseNumber(a, '--region offset');
    const size = parseNumber(b, '--region size');
    await eraseRegion(opts, offset, size);
    out(`Erased ${size} bytes at ${hex8(offset)} in ${((Date.now() - started) / 1000).toFixed(1)} seconds.`);
  } else {
    await eraseFlash(opts);
    out(`Erased the whole flash in ${((Date.now() - started) / 1000).toFixed(1)} seconds.`);
  }
  return 0;
}
