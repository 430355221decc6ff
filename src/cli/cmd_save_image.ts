/**
 * `esp-flasher save-image`: the app image the plan would flash, as a file — from a project
 * (its app segment; Rust ELFs converted as for flashing) or from a firmware ELF (ELF → image
 * with the flash settings and SHA-256 appended, byte-identical to esptool elf2image).
 */
import { promises as fsp } from 'node:fs';
import { chipFacts, type ChipName } from '../core/chips';
import { sizeText } from '../core/formats/bytes';
import { isElf } from '../core/formats/elf';
import { normalizeFlashFreq, normalizeFlashSize } from '../core/formats/flash_params';
import { writeFileAtomic } from '../core/image_out/atomic_write';
import { ImageOutError } from '../core/image_out/image_out_error';
import { appImageFromElf, appSegmentOfPlan, chipsForMachine, type ElfImageSettings } from '../core/image_out/save_image';
import { parseElf } from '../core/formats/elf';
import { formatProblem, hasErrors } from '../core/plan/problem';
import { readProject } from '../core/project/read_project';
import { Options, UsageError, formatOptionHelp, parseArgs, type OptionSpec } from './args';
import { defaultContext, type CliContext, type OutFn } from './cli_context';
import { parseChipOption } from './connect_options';

const OPTIONS: OptionSpec[] = [
  { name: 'output', short: 'o', kind: 'value', valueName: 'FILE', help: 'The app image file to write (replaced only once complete)' },
  { name: 'chip', short: 'c', kind: 'value', valueName: 'CHIP', help: 'The chip (needed for an ELF; for a project, default: the one it names)' },
  { name: 'flash-mode', kind: 'value', valueName: 'MODE', help: 'ELF only: header flash mode qio, qout, dio, dout (default dio)' },
  { name: 'flash-size', kind: 'value', valueName: 'SIZE', help: 'ELF only: header flash size 1MB … 128MB (default 4MB)' },
  { name: 'flash-freq', kind: 'value', valueName: 'FREQ', help: "ELF only: header flash frequency, e.g. 80m (default: the chip's 40m-class value)" },
  { name: 'env', kind: 'value', valueName: 'ENV', help: 'PlatformIO environment (default: default_envs or the newest build)' },
];

export const usage = [
  'Usage: esp-flasher save-image <project-folder> -o app.bin [--chip CHIP]',
  '       esp-flasher save-image <firmware.elf> --chip CHIP -o app.bin [--flash-mode M] [--flash-size S] [--flash-freq F]',
  '',
  'Write the app image the plan would flash: for a project, its app segment (a Rust/cargo ELF is',
  "converted with the project's flash settings, as for flashing); for an ELF, the image esptool",
  'elf2image makes from it with the same settings (SHA-256 appended).',
  '',
  'Options:',
  ...formatOptionHelp(OPTIONS),
].join('\n');

async function kindOf(p: string): Promise<'dir' | 'elf' | 'other' | 'missing'> {
  try {
    const st = await fsp.stat(p);
    if (st.isDirectory()) return 'dir';
    const fh = await fsp.open(p, 'r');
    try {
      const head = Buffer.alloc(4);
      await fh.read(head, 0, 4, 0);
      return isElf(head) ? 'elf' : 'other';
    } finally {
      await fh.close();
    }
  } catch {
    return 'missing';
  }
}

function elfSettings(o: Options): ElfImageSettings {
  const s: ElfImageSettings = {};
  const mode = o.string('flash-mode');
  if (mode) {
    if (!['qio', 'qout', 'dio', 'dout'].includes(mode.toLowerCase())) throw new UsageError(`--flash-mode: "${mode}" is not qio, qout, dio or dout.`, 'save-image');
    s.flashMode = mode.toLowerCase();
  }
  const size = o.string('flash-size');
  if (size) {
    const n = normalizeFlashSize(size);
    if (!n || n === 'detect' || n === 'keep') throw new UsageError(`--flash-size: "${size}" is not a size like 4MB (1MB … 128MB).`, 'save-image');
    s.flashSize = n;
  }
  const freq = o.string('flash-freq');
  if (freq) s.flashFreq = normalizeFlashFreq(freq) ?? freq;
  return s;
}

export async function run(args: string[], out: OutFn, ctx: CliContext = defaultContext(out)): Promise<number> {
  const o = new Options(parseArgs(args, OPTIONS, 'save-image'), 'save-image');
  const output = o.string('output');
  if (!output) throw new UsageError('save-image needs the file to write: -o app.bin. Run "esp-flasher save-image --help".', 'save-image');
  if (o.positionals.length !== 1)
    throw new UsageError(`save-image takes one project folder or ELF file (got ${o.positionals.length ? o.positionals.join(' ') : 'none'}).`, 'save-image');
  const input = o.positionals[0];
  const userChip = parseChipOption(o.string('chip'));
  const chip: ChipName | undefined = userChip === 'auto' ? undefined : userChip;
  const kind = await kindOf(input);
  let bytes: Uint8Array;
  let from: string;
  try {
    if (kind === 'missing') throw new UsageError(`${input}: no such file or folder. Give a project folder or a firmware ELF.`, 'save-image');
    if (kind === 'other')
      throw new UsageError(`${input} is neither a folder nor an ELF file. Give a project folder or the firmware ELF (an app .bin is already an image).`, 'save-image');
    if (kind === 'elf') {
      const elf = new Uint8Array(await fsp.readFile(input));
      if (!chip) {
        const fits = chipsForMachine(parseElf(elf, input).machine);
        throw new UsageError(`${input}: an ELF does not say which chip it is for; give --chip (${fits.join(', ') || 'no supported chip runs this ELF machine'}).`, 'save-image');
      }
      const settings = elfSettings(o);
      bytes = appImageFromElf(elf, chip, settings, input);
      from = `${input} (ELF → ${chipFacts(chip).displayName} image, ${settings.flashMode ?? 'dio'}/${settings.flashSize ?? '4MB'}/${settings.flashFreq ?? 'default freq'})`;
    } else {
      for (const name of ['flash-mode', 'flash-size', 'flash-freq']) {
        if (o.has(name))
          throw new UsageError(
            `--${name} applies to an ELF; a project's app image carries the project's flash settings. Give the ELF to choose them, or change the project's settings.`,
            'save-image',
          );
      }
      const r = await readProject(input, { chip, env: o.string('env') });
      for (const p of r.problems) (p.severity === 'error' ? ctx.err : out)(formatProblem(p));
      if (hasErrors(r.problems) || r.kind === 'none') {
        ctx.err(
          `Nothing was written to ${output}: ${r.kind === 'none' ? `no build found in ${input}` : `the plan from ${input} has errors, listed above`}. Fix them and run again.`,
        );
        return 1;
      }
      const app = appSegmentOfPlan(r.plan);
      bytes = app.bytes;
      from = `${r.kind} build ${r.buildDir ?? input}, segment ${app.name} (${app.file ?? 'generated'})`;
    }
  } catch (e) {
    if (!(e instanceof ImageOutError)) throw e;
    // The core names the chip; the CLI says which flag gives it.
    for (const p of e.problems) ctx.err(formatProblem(p) + (p.field === 'chip' ? ' (--chip CHIP)' : ''));
    ctx.err(`Nothing was written to ${output}.`);
    return 1;
  }
  await writeFileAtomic(output, bytes);
  out(`Wrote ${output} (${sizeText(bytes.length)}) from ${from}.`);
  return 0;
}
