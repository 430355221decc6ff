/** `esp-flasher read <offset> <length> <file>`: copy raw flash (ciphertext where encrypted) to a file. */
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { readFlash } from '../core/flash/device_ops';
import { Options, formatOptionHelp, parseArgs, parseNumber, UsageError, type OptionSpec } from './args';
import { defaultContext, type CliContext, type OutFn } from './cli_context';
import { CONNECT_OPTIONS, connectOptionsFrom } from './connect_options';
import { ProgressPrinter, hex8 } from './progress_printer';

const OPTIONS: OptionSpec[] = [...CONNECT_OPTIONS];

export const usage = [
  'Usage: esp-flasher read --port PORT <offset> <length> <file>',
  '',
  'Read <length> bytes of flash starting at <offset> into <file>. Numbers: 0x10000, 65536, 64K, 1M.',
  'Encrypted regions read back as ciphertext; use "esp-flasher decrypt-image" with the key to decrypt.',
  '',
  'Options:',
  ...formatOptionHelp(OPTIONS),
].join('\n');

export async function run(args: string[], out: OutFn, ctx: CliContext = defaultContext(out)): Promise<number> {
  const o = new Options(parseArgs(args, OPTIONS, 'read'), 'read');
  if (o.positionals.length !== 3) {
    throw new UsageError(`"read" needs <offset> <length> <file>, e.g. esp-flasher read --port PORT 0x10000 0x1000 app.bin (got ${o.positionals.length} word(s)).`);
  }
  const offset = parseNumber(o.positionals[0], 'offset');
  const length = parseNumber(o.positionals[1], 'length');
  if (length === 0) throw new UsageError('length: read at least one byte.');
  const file = path.resolve(o.positionals[2]);
  const connect = connectOptionsFrom(o);
  const printer = new ProgressPrinter(out, { tty: ctx.tty, rawWrite: ctx.rawWrite, verb: 'Reading', baseOffset: offset });
  const started = Date.now();
  let data: Uint8Array;
  try {
    data = await readFlash({ ...connect, after: connect.after ?? 'no-reset', signal: ctx.signal, onEvent: printer.listener }, offset, length);
  } finally {
    printer.finish();
  }
  await writeFile(file, data);
  const s = (Date.now() - started) / 1000;
  out(`Read ${data.length} bytes at ${hex8(offset)} in ${s.toFixed(1)} seconds into ${file}`);
  return 0;
}
