/** `esp-flasher info`: connect and show chip, MAC, flash size and flash-encryption state. */
import { readDeviceInfo } from '../core/flash/device_ops';
import type { DeviceInfo } from '../core/flash/api';
import { Options, formatOptionHelp, parseArgs, UsageError, type OptionSpec } from './args';
import { defaultContext, type CliContext, type OutFn } from './cli_context';
import { CONNECT_OPTIONS, connectOptionsFrom } from './connect_options';
import type { FlashEvent } from '../core/flash/events';

const OPTIONS: OptionSpec[] = [
  ...CONNECT_OPTIONS,
  { name: 'stub', kind: 'flag', help: 'Upload the flasher stub first (default: ask the ROM loader only)' },
  { name: 'json', kind: 'flag', help: 'Print the facts as JSON' },
];

export const usage = [
  'Usage: esp-flasher info --port PORT [options]',
  '',
  'Connect to the chip and print what it is: chip, MAC, flash size, flash encryption, secure boot.',
  '',
  'Options:',
  ...formatOptionHelp(OPTIONS),
].join('\n');

function mb(bytes: number): string {
  return bytes >= 1048576 ? `${bytes / 1048576} MB` : `${bytes / 1024} KB`;
}

export function describeDeviceInfo(info: DeviceInfo): string[] {
  const enc =
    info.flashEncryption === 'off'
      ? `off (crypt counter ${info.cryptCounter})`
      : `${info.flashEncryption} (crypt counter ${info.cryptCounter}, key ${info.keyPresent ? 'present' : 'missing'})`;
  const lines = [
    `Chip:             ${info.description}`,
    `MAC:              ${info.mac || 'unknown (not readable)'}`,
    `Flash size:       ${info.flashSize !== undefined ? mb(info.flashSize) : 'unknown'}` +
      (info.flashId !== undefined ? ` (flash ID 0x${info.flashId.toString(16).padStart(6, '0')})` : ''),
    `Flash encryption: ${enc}`,
  ];
  if (info.flashCryptConfig !== undefined) lines.push(`FLASH_CRYPT_CONFIG: 0x${info.flashCryptConfig.toString(16)}`);
  lines.push(`Secure boot:      ${info.secureBoot ? 'on' : 'off'}`);
  lines.push(`Secure download:  ${info.secureDownloadMode ? 'on (no stub, no reads, no MD5)' : 'off'}`);
  lines.push(`Loader:           ${info.stub ? 'flasher stub' : 'ROM'}`);
  return lines;
}

export async function run(args: string[], out: OutFn, ctx: CliContext = defaultContext(out)): Promise<number> {
  const o = new Options(parseArgs(args, OPTIONS, 'info'), 'info');
  if (o.positionals.length) throw new UsageError(`"info" takes no file or folder (got ${o.positionals.join(' ')}).`);
  const connect = connectOptionsFrom(o);
  const json = o.has('json');
  // Only warnings: the facts themselves are printed below.
  const onEvent = (e: FlashEvent): void => {
    if (e.kind === 'warning') ctx.err(`Warning: ${e.message}`);
  };
  const info = await readDeviceInfo({
    ...connect,
    baud: connect.baud ?? 115200,
    stub: o.has('stub'),
    stubRequired: o.has('stub'),
    after: connect.after ?? 'no-reset',
    signal: ctx.signal,
    onEvent,
  });
  if (json) out(JSON.stringify(info, null, 2));
  else for (const line of describeDeviceInfo(info)) out(line);
  return 0;
}
