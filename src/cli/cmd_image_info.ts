/** `esp-flasher image-info <file>` — describe an app/bootloader image (or an ELF converted to one). */
import { readFile } from 'node:fs/promises';
import { normalizeChipName } from '../core/chips';
import { isElf } from '../core/formats/elf';
import { elfToImage } from '../core/formats/elf_to_image';
import { FormatError } from '../core/formats/format_error';
import { parseImage } from '../core/formats/image_parse';
import { imageText, problemLines } from '../core/plan/plan_text';
import { hasErrors } from '../core/plan/problem';
import { Options, UsageError, formatOptionHelp, parseArgs, type OptionSpec } from './args';

const OPTIONS: OptionSpec[] = [
  { name: 'chip', kind: 'value', valueName: 'CHIP', help: 'Read chip-specific fields for this chip (needed for an ELF)' },
  { name: 'json', kind: 'flag', help: 'Print the header facts and problems as JSON' },
];

export const usage = [
  'Usage: esp-flasher image-info <file> [options]',
  '',
  'Describes an ESP32-family app or bootloader image: chip id, flash mode/size/frequency, entry,',
  'chip revisions, segments, checksum, appended SHA-256, and the app / bootloader descriptor',
  '(project, version, ESP-IDF version, build date). An ELF file is converted first (--chip needed).',
  '',
  'Options:',
  ...formatOptionHelp(OPTIONS),
  '',
  'Exit status: 0 valid image, 1 problems that are errors (bad magic, checksum, digest), 2 usage error.',
].join('\n');

export async function run(args: string[], out: (line: string) => void): Promise<number> {
  try {
    const o = new Options(parseArgs(args, OPTIONS, 'image-info'), 'image-info');
    if (o.has('help')) {
      out(usage);
      return 0;
    }
    if (o.positionals.length !== 1) throw new UsageError('image-info takes exactly one file. Run "esp-flasher image-info --help".', 'image-info');
    const file = o.positionals[0];
    const chipText = o.string('chip');
    const chip = chipText !== undefined ? normalizeChipName(chipText) : undefined;
    if (chipText !== undefined && !chip) throw new UsageError(`--chip: "${chipText}" is not a known chip.`, 'image-info');
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(file));
    } catch (e) {
      out(`error: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). Check the path.`);
      return 1;
    }
    let note: string | undefined;
    if (isElf(bytes)) {
      if (!chip) throw new UsageError(`${file} is an ELF file; give --chip so it can be converted to an image (e.g. --chip esp32c3).`, 'image-info');
      try {
        const img = elfToImage(bytes, { chip, file });
        note = `Converted from a ${bytes.length}-byte ELF (sections ${img.sections.join(', ')}; MMU page ${img.mmuPageSize} bytes); image below.`;
        bytes = img.bytes;
      } catch (e) {
        if (e instanceof FormatError) {
          out(`error: ${e.message}`);
          return 1;
        }
        throw e;
      }
    }
    const parsed = parseImage(bytes, { chip, file });
    if (o.has('json')) {
      out(JSON.stringify({ file, size: bytes.length, image: parsed.info, problems: parsed.problems }, null, 2));
    } else {
      out(`File: ${file}` + (note ? '' : ` (${bytes.length} bytes)`));
      if (note) out(note);
      if (parsed.info) for (const l of imageText(parsed.info)) out(l);
      out('');
      for (const l of problemLines(parsed.problems)) out(l);
    }
    return hasErrors(parsed.problems) || !parsed.info ? 1 : 0;
  } catch (e) {
    if (e instanceof UsageError) {
      out(e.message);
      return 2;
    }
    throw e;
  }
}
