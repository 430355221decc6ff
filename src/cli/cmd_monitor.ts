/** `esp-flasher monitor`: show a chip's output with decoded crashes; follows the board across replugs. */
import { readProject } from '../core/project/read_project';
import type { FlashPlan } from '../core/plan/flash_plan';
import { Options, formatOptionHelp, parseArgs, type OptionSpec } from './args';
import { defaultContext, type CliContext, type OutFn } from './cli_context';
import { CONNECT_OPTIONS, parseChipOption, PORT_ENV } from './connect_options';
import { decoderFor, MONITOR_KEYS, MONITOR_OPTIONS, startMonitor } from './monitor_session';

export const OPTIONS: OptionSpec[] = [...CONNECT_OPTIONS.filter((s) => ['port', 'chip', 'debug'].includes(s.name)), ...MONITOR_OPTIONS];

export const usage = () =>
  [
    'Usage: esp-flasher monitor --port PORT [options] [<project or build folder>]',
    '',
    'Show what the chip prints: ESP-IDF log levels in colour, crash backtraces decoded to function and',
    'file:line from the app ELF (--elf, or the ELF beside the app image of the given build folder).',
    'Resets the chip into its app when it opens (--no-reset to leave it alone). When the port goes away',
    '(unplugged, USB re-enumeration) it waits and reopens the same device (USB serial number, VID:PID,',
    'location). A flash started in the same program pauses it and hands the port over.',
    '',
    'Options:',
    ...formatOptionHelp(OPTIONS),
    '',
    ...MONITOR_KEYS,
    '',
    'Examples:',
    '  esp-flasher monitor --port /dev/ttyUSB0 build',
    '  esp-flasher monitor --port /dev/ttyACM0 --elf build/app.elf --timestamps --log serial.log',
    '  esp-flasher monitor --port virtual:esp32c3:resetlines:ticks=500 --duration 3',
  ].join('\n');

export async function run(args: string[], out: OutFn, ctx: CliContext = defaultContext(out)): Promise<number> {
  const o = new Options(parseArgs(args, OPTIONS, 'monitor'), 'monitor');
  const port = o.string('port') ?? process.env[PORT_ENV];
  if (!port) {
    ctx.err(`esp-flasher monitor: no serial port given: add --port /dev/ttyUSB0 (COM3 on Windows) or set $${PORT_ENV}.`);
    return 2;
  }
  const chip = parseChipOption(o.string('chip'));
  let plan: FlashPlan | undefined;
  const folder = o.positionals[0];
  if (folder) plan = (await readProject(folder)).plan;
  const decoder = decoderFor(o, plan, chip === 'auto' ? undefined : chip, out);
  const run = await startMonitor(o, port, out, ctx, decoder);
  await run.finished;
  return 0;
}
