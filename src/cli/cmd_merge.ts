/**
 * `esp-flasher merge`: a build (or offset/file pairs) as one flash image file — raw, Intel HEX
 * or UF2 — with the bootloader header patched as a flash patches it and, with the device's key,
 * the encrypted segments as ciphertext. The file appears whole or not at all.
 */
import * as path from 'node:path';
import { chipFacts, flashSizeBytes } from '../core/chips';
import { resolveHostKey } from '../core/crypto/device_key_file';
import type { FlashKey } from '../core/crypto/flash_crypto';
import { hex, sizeText } from '../core/formats/bytes';
import { normalizeFlashSize } from '../core/formats/flash_params';
import { ImageOutError } from '../core/image_out/image_out_error';
import type { MergeSegment } from '../core/image_out/merge_image';
import { IMAGE_FORMATS, writeMergedImageFile, type ImageFormat } from '../core/image_out/merged_file';
import { formatProblem } from '../core/plan/problem';
import { Options, UsageError, formatOptionHelp, parseArgs, parseNumber, type OptionSpec } from './args';
import { defaultContext, type CliContext, type OutFn } from './cli_context';
import { parseChipOption } from './connect_options';
import { FLASH_INPUT_OPTIONS, inputProblemsStop, loadFlashInputs } from './flash_inputs';

/** The flash options read differently when nothing is flashed. */
const MERGE_HELP: Record<string, string> = {
  'encrypt-files': 'Also put these offset/file pairs in, encrypted (then only they are encrypted)',
  'encrypt-key': "The device's flash-encryption key: the segments the build marks encrypted become ciphertext",
  'encrypt-key-dir': 'Per-device keys DIR/aabbccddeeff.bin; --mac picks the device',
  'flash-size': 'Patch the bootloader header: 4MB … or keep (default: the build\'s; "detect" keeps the header\'s)',
  env: 'PlatformIO environment (default: default_envs or the newest build)',
};

const OPTIONS: OptionSpec[] = [
  { name: 'output', short: 'o', kind: 'value', valueName: 'FILE', help: 'The image file to write (replaced only once it is complete)' },
  { name: 'format', short: 'f', kind: 'value', valueName: 'FORMAT', help: "raw (default), hex (Intel HEX) or uf2 (with the chip's UF2 family id)" },
  { name: 'fill-flash-size', kind: 'value', valueName: 'SIZE', help: 'raw: pad with 0xFF up to this flash size (4MB, 0x400000)' },
  { name: 'target-offset', kind: 'value', valueName: 'OFFSET', help: 'Flash offset the image will be written at (default 0x0)' },
  { name: 'chip', short: 'c', kind: 'value', valueName: 'CHIP', help: 'The chip (default: the one the build names)' },
  ...FLASH_INPUT_OPTIONS.filter((s) => s.name !== 'encrypt').map((s) => ({ ...s, help: MERGE_HELP[s.name] ?? s.help })),
  { name: 'mac', kind: 'value', valueName: 'MAC', help: 'With --encrypt-key-dir: the device whose key to use (aa:bb:cc:dd:ee:ff)' },
];

export const usage = [
  'Usage: esp-flasher merge <build-folder> -o image.bin [options]',
  '       esp-flasher merge <offset> <file> [<offset> <file> ...] -o image.bin [options]',
  '',
  'Write the flash plan as one image file: every segment at its offset, gaps 0xFF, the bootloader',
  'header patched with the flash settings exactly as "flash" patches it, after the same plan checks.',
  "With the device's key (--encrypt-key FILE, or --encrypt-key-dir DIR --mac MAC), the segments the",
  'build marks encrypted (every segment when none is marked; only the --encrypt-files pairs when',
  'given) become ciphertext for their offsets — the image a programmer writes raw to a device whose',
  'eFuses hold that key; the others stay plain.',
  '',
  'Options:',
  ...formatOptionHelp(OPTIONS),
  '',
  'Examples:',
  '  esp-flasher merge build -o factory.bin --fill-flash-size 4MB',
  '  esp-flasher merge build -o factory.uf2 --format uf2',
  '  esp-flasher merge build -o device-0a1b.bin --encrypt-key-dir keys --mac 24:0a:c4:00:0a:1b',
  '  esp-flasher flash --port /dev/ttyUSB0 factory.bin         # written at 0x0',
].join('\n');

function sizeOption(o: Options, name: string): number | undefined {
  const text = o.string(name);
  if (text === undefined) return undefined;
  const n = normalizeFlashSize(text);
  const bytes = n ? flashSizeBytes(n) : /^(0x[0-9a-f]+|\d+)$/i.test(text.trim()) ? parseNumber(text, `--${name}`) : undefined;
  if (!bytes) throw new UsageError(`--${name}: "${text}" is not a flash size; write it as 4MB, 16MB or 0x400000.`, o.command);
  return bytes;
}

export async function run(args: string[], out: OutFn, ctx: CliContext = defaultContext(out)): Promise<number> {
  const o = new Options(parseArgs(args, OPTIONS, 'merge'), 'merge');
  const output = o.string('output');
  if (!output) throw new UsageError('merge needs the file to write: -o image.bin. Run "esp-flasher merge --help".', 'merge');
  const format: ImageFormat = o.choice('format', IMAGE_FORMATS) ?? 'raw';
  const fill = sizeOption(o, 'fill-flash-size');
  if (fill !== undefined && format !== 'raw') {
    throw new UsageError(`--fill-flash-size pads a raw image; ${format} files hold only the data. Leave it out, or use --format raw.`, 'merge');
  }
  const targetOffset = o.number('target-offset');
  const mac = o.string('mac');
  if (mac && !o.has('encrypt-key-dir'))
    throw new UsageError("--mac picks the device's key from --encrypt-key-dir DIR; give that folder too (or --encrypt-key FILE without --mac).", 'merge');
  if (o.has('encrypt-key-dir') && !mac)
    throw new UsageError("--encrypt-key-dir DIR needs the device's MAC (--mac aa:bb:cc:dd:ee:ff) to pick DIR/<mac>.bin: there is no device to ask.", 'merge');
  // A key means "encrypt what the build marks", as --encrypt does for flash — unless
  // --encrypt-files names what to encrypt (then the other files stay plain).
  if ((o.has('encrypt-key') || o.has('encrypt-key-dir')) && !o.has('encrypt-files')) o.parsed.options.set('encrypt', []);

  const userChip = parseChipOption(o.string('chip'));
  const inputs = await loadFlashInputs(o, userChip === 'auto' ? undefined : userChip);
  if (inputProblemsStop(inputs, 'apply', out, ctx.err)) return 1;
  const chip = userChip === 'auto' ? inputs.plan.chip : userChip;
  if (!chip) throw new UsageError(`Cannot tell which chip ${inputs.source} is for: give --chip (e.g. --chip esp32c3).`, 'merge');

  let key: FlashKey | undefined;
  if (inputs.hostKey) key = resolveHostKey(inputs.hostKey, { chip, mac });
  const files = new Map(inputs.plan.segments.map((s) => [s.offset, s.file]));
  const extra = o.values('encrypt-files');
  for (let i = 0; i + 1 < extra.length; i += 2) files.set(parseNumber(extra[i], '--encrypt-files'), path.resolve(extra[i + 1]));
  const segments: MergeSegment[] = inputs.segments.map((s) => {
    const m: MergeSegment = { name: s.name, offset: s.offset, bytes: s.bytes, encrypt: s.encrypt !== 'off' };
    const file = files.get(s.offset);
    if (file) m.file = file;
    return m;
  });

  let written: Awaited<ReturnType<typeof writeMergedImageFile>>;
  try {
    written = await writeMergedImageFile(
      inputs.plan,
      segments,
      {
        chip,
        settings: inputs.settings,
        ...(key ? { key } : {}),
        ...(inputs.hostKey?.flashCryptConfig !== undefined ? { flashCryptConfig: inputs.hostKey.flashCryptConfig } : {}),
        ...(targetOffset !== undefined ? { targetOffset } : {}),
        ...(fill !== undefined ? { fillFlashSize: fill } : {}),
        optionNames: { targetOffset: '--target-offset', fillFlashSize: '--fill-flash-size', key: '--encrypt-key' },
      },
      output,
      format,
    );
  } catch (e) {
    if (!(e instanceof ImageOutError)) throw e;
    for (const p of e.problems) ctx.err(formatProblem(p));
    ctx.err(`Nothing was written to ${output}.`);
    return 1;
  }
  const { merged, size } = written;

  out(`Merged ${inputs.source} for ${chipFacts(chip).displayName}${key ? ` with ${key.description} from ${key.source}` : ''}:`);
  const width = Math.max(4, ...merged.regions.map((r) => r.name.length));
  for (const r of merged.regions) {
    out(
      `  ${r.name.padEnd(width)}  0x${r.offset.toString(16).padStart(8, '0')}  ${String(r.length).padStart(8)} bytes  ${r.encrypted ? 'encrypted' : 'plain'}${r.patchNote ? `; ${r.patchNote}` : ''}`,
    );
  }
  for (const n of merged.notes) out(`Note: ${n}`);
  const where = format === 'raw' ? `; write it raw at ${hex(merged.base)} (esp-flasher flash${merged.base ? ` --offset ${hex(merged.base)}` : ''} ${path.basename(output)})` : '';
  out(`Wrote ${output} (${format}, ${sizeText(size)})${where}.`);
  return 0;
}
