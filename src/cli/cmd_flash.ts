/** `esp-flasher flash`: write a build folder or offset/file pairs — plain, compressed or encrypted. */
import { homedir } from 'node:os';
import { defaultCacheDir, fileDeviceCache } from '../core/flash/device_cache';
import { flashSegments } from '../core/flash/flash_job';
import { Options, UsageError, formatOptionHelp, parseArgs, type OptionSpec } from './args';
import { defaultContext, type CliContext, type OutFn } from './cli_context';
import { CONNECT_OPTIONS, parseChipOption } from './connect_options';
import { FLASH_INPUT_OPTIONS, IMAGE_OFFSET_OPTION, describeSegments, inputProblemsStop, loadFlashInputs } from './flash_inputs';
import { jobConnectOptions } from './flash_job_options';
import { LINE_OPTIONS, isLineRun, runLineFlash } from './line_flash';
import { ProgressPrinter } from './progress_printer';
import { FLASH_MONITOR_OPTIONS, monitorAroundFlash } from './monitor_session';
import { cliAdvice } from './format_error';
import { refusalLines } from './refusal_lines';

export const OPTIONS: OptionSpec[] = [
  ...FLASH_INPUT_OPTIONS,
  IMAGE_OFFSET_OPTION,
  { name: 'no-verify', kind: 'flag', help: 'Do not MD5-check each segment after writing it' },
  { name: 'no-skip', kind: 'flag', help: 'Write every segment whole (default: skip what the flash holds, write only changed 4 KiB sectors)' },
  { name: 'no-compress', kind: 'flag', help: 'Send data uncompressed' },
  {
    name: 'no-cache',
    kind: 'flag',
    help: 'Do not use or update the device cache (what was last written to each device, in $XDG_CACHE_HOME/esp-flasher; confirmed with one MD5 per segment before use)',
  },
  { name: 'force', kind: 'flag', help: 'Override the refusals that can be overridden (plaintext onto encrypted flash, chip id…)' },
  { name: 'stub', kind: 'flag', help: 'Use the flasher stub even when the build asks for the ROM loader, and fail rather than continue on the ROM loader if it does not start' },
  // Production line (line_flash.ts): --port may repeat; --ports, --report, --watch, --retry-failed.
  ...CONNECT_OPTIONS.map((s) => (s.name === 'port' ? { ...s, repeatable: true, help: `${s.help}; repeat it (or use --ports) to flash several devices at once` } : s)),
  ...LINE_OPTIONS,
  ...FLASH_MONITOR_OPTIONS,
];

export const usage = [
  'Usage: esp-flasher flash --port PORT [options] <build-folder>',
  '       esp-flasher flash --port PORT [options] <offset> <file> [<offset> <file> ...]',
  '       esp-flasher flash --port PORT [options] <image.bin> [--offset OFFSET]',
  '',
  "Write a project's build output (ESP-IDF build/, PlatformIO project, cargo project) or offset/file",
  'pairs. Flash encryption: --encrypt writes the segments the build marks encrypted through the',
  "chip's key (development mode); with --encrypt-key FILE the host encrypts them instead and writes",
  'the ciphertext (the only way in release mode); --encrypt-key-dir DIR picks DIR/<mac>.bin after',
  'connecting. Segments the flash already holds are skipped, and of the others only the 4 KiB sectors',
  'that differ are written (encrypted ones too, when the key is known); --no-skip writes everything.',
  'What was last written to each device is remembered ($XDG_CACHE_HOME/esp-flasher, else',
  '~/.cache/esp-flasher): a re-flash confirms it with one MD5 per segment and compares sectors',
  'locally; --no-cache turns this off.',
  'One file without an offset is a whole-flash image (esp-flasher merge): written at 0x0 or --offset.',
  '',
  'Options:',
  ...formatOptionHelp(OPTIONS),
  '',
  'Examples:',
  '  esp-flasher flash --port /dev/ttyUSB0 --baud 921600 build',
  '  esp-flasher flash --port virtual:esp32c3:encryption=development --encrypt build',
  '  esp-flasher flash --port COM3 0x10000 app.bin --encrypt-files 0x0 bootloader.bin',
  '  esp-flasher flash --port /dev/ttyUSB0 --encrypt --encrypt-key flash_key.bin build',
  '  esp-flasher flash --ports auto --report line.csv build                       # every ESP board plugged in',
  '  esp-flasher flash --ports "/dev/ttyUSB*" --watch --report line.jsonl build   # fixture: each new board once',
  '  esp-flasher flash --port /dev/ttyACM0 --monitor build            # then watch it run',
].join('\n');

export async function run(args: string[], out: OutFn, ctx: CliContext = defaultContext(out)): Promise<number> {
  const o = new Options(parseArgs(args, OPTIONS, 'flash'), 'flash');
  if (isLineRun(o)) {
    if (o.has('monitor')) throw new UsageError('--monitor watches one device: flash several with --port/--ports, then run `esp-flasher monitor --port P` for the one to watch.');
    return runLineFlash(o, out, ctx);
  }
  const userChip = parseChipOption(o.string('chip'));
  const inputs = await loadFlashInputs(o, userChip === 'auto' ? undefined : userChip, { singleImage: true });
  if (inputProblemsStop(inputs, 'job', out, ctx.err)) return 1;
  const { connect, notes } = jobConnectOptions(o, inputs.plan, userChip);
  out(`Flashing ${inputs.source}${inputs.plan.flashEncryption && inputs.plan.flashEncryption !== 'off' ? ` (flash encryption: ${inputs.plan.flashEncryption})` : ''}:`);
  for (const line of describeSegments(inputs.segments)) out(line);
  for (const n of notes) out(n);

  const monitor = await monitorAroundFlash(o, connect.port, out, ctx, inputs.plan);
  const printer = new ProgressPrinter(out, { tty: ctx.tty, rawWrite: ctx.rawWrite, offsets: inputs.segments.map((s) => s.offset) });
  let result;
  let resetHow: string | undefined;
  try {
    result = await flashSegments(inputs.segments, {
      ...connect,
      settings: inputs.settings,
      compress: !o.has('no-compress'),
      verify: !o.has('no-verify'),
      skipUnchanged: !o.has('no-skip'),
      ...(o.has('no-cache') ? {} : { deviceCache: fileDeviceCache(defaultCacheDir(process.env, homedir())) }),
      force: o.has('force'),
      ...(inputs.plan.partitions?.length ? { partitions: inputs.plan.partitions, partitionTableOffset: inputs.plan.partitionTableOffset } : {}),
      ...(inputs.hostKey ? { hostKey: inputs.hostKey } : {}),
      signal: ctx.signal,
      onEvent: (e) => {
        if (e.kind === 'reset') resetHow = e.how;
        printer.listener(e);
      },
    });
  } finally {
    printer.finish();
    if (monitor && !result?.ok) await monitor.monitor.close();
  }
  if (monitor && result.ok && resetHow?.startsWith('none')) {
    out(`--- The chip is staying in the ${/stub/.test(resetHow) ? 'flasher stub' : 'loader'} (no reset after flashing was asked for): Ctrl-T R resets it into the new firmware.`);
  }
  if (monitor && result.ok) await monitor.finished;
  if (!result.ok && result.refusals?.length) {
    ctx.err('Error: Nothing was written. Refused:');
    for (const line of refusalLines(result.refusals)) ctx.err(line);
    const notWritten = result.segments.filter((s) => s.status !== 'written' && s.status !== 'skipped').map((s) => s.name);
    ctx.err(`Written: nothing. Not written: ${notWritten.join(', ') || 'nothing'}.`);
    return 1;
  }
  if (!result.ok) {
    const advice = cliAdvice(result.errorClass);
    ctx.err(`Error: ${result.error ?? 'flashing failed.'}${advice ? ` ${advice}` : ''}`);
    return result.cancelled ? 130 : 1;
  }
  return 0;
}
