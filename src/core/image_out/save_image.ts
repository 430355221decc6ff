/**
 * The app image a plan would flash, as a file's bytes: from a firmware ELF (ELF → image with
 * the flash settings and the SHA-256 appended, as esptool elf2image makes it) or from a
 * project's plan (its app segment, exactly as `flash` would write it).
 */
import { CHIP_NAMES, chipFacts, type ChipName } from '../chips';
import { EM_RISCV, EM_XTENSA, loadableSections, parseElf } from '../formats/elf';
import { elfToImage } from '../formats/elf_to_image';
import { FormatError } from '../formats/format_error';
import { hex } from '../formats/bytes';
import type { FlashPlan, PlanSegment } from '../plan/flash_plan';
import { errorProblem } from '../plan/problem';
import { ImageOutError } from './image_out_error';

export interface ElfImageSettings {
  flashMode?: string;
  flashSize?: string;
  flashFreq?: string;
}

/** Chips whose CPU runs this ELF machine (Xtensa 94, RISC-V 243). */
export function chipsForMachine(machine: number): ChipName[] {
  const arch = machine === EM_XTENSA ? 'xtensa' : machine === EM_RISCV ? 'riscv' : undefined;
  return CHIP_NAMES.filter((c) => chipFacts(c).arch === arch && chipFacts(c).imageChipId !== undefined);
}

const inWindow = (w: [number, number], a: number) => a >= w[0] && a < w[1];

/**
 * A flash-mapped section (.flash.*) whose address this chip cannot map but another chip of the
 * same CPU can: the ELF was linked for that other chip. Undefined when nothing says so.
 */
export function elfChipMismatch(elfBytes: Uint8Array, chip: ChipName, file: string): string | undefined {
  const elf = parseElf(elfBytes, file);
  const facts = chipFacts(chip);
  for (const s of loadableSections(elf)) {
    if (!s.name.startsWith('.flash.')) continue;
    if (inWindow(facts.irom, s.addr) || inWindow(facts.drom, s.addr)) continue;
    const others = chipsForMachine(elf.machine).filter((c) => c !== chip && (inWindow(chipFacts(c).irom, s.addr) || inWindow(chipFacts(c).drom, s.addr)));
    return (
      `${file}: section ${s.name} at ${hex(s.addr)} is flash-mapped on ${others.map((c) => chipFacts(c).displayName).join(', ') || 'no known chip'} but not on ${facts.displayName}; ` +
      `the ELF was linked for another chip. Give the chip it was built for${others.length ? ` (${others[0]})` : ''}, or build it for ${chip}.`
    );
  }
  return undefined;
}

/** ELF → app image bytes for `chip`; refusals as ImageOutError naming the file. */
export function appImageFromElf(elfBytes: Uint8Array, chip: ChipName, settings: ElfImageSettings, file: string): Uint8Array {
  try {
    const mismatch = elfChipMismatch(elfBytes, chip, file);
    if (mismatch) throw new ImageOutError([errorProblem(mismatch, file, 'chip')], 'app image');
    return elfToImage(elfBytes, { chip, file, ...settings }).bytes;
  } catch (e) {
    if (e instanceof ImageOutError) throw e;
    if (!(e instanceof FormatError)) throw e;
    let message = e.message;
    if (/ELF machine \d+ is not/.test(message)) {
      const fits = chipsForMachine(parseElf(elfBytes, file).machine);
      message += ` Give the chip it was built for${fits.length ? ` (${fits.join(' | ')})` : ''}.`;
    }
    throw new ImageOutError([errorProblem(message, file, e.field ?? 'chip')], 'app image');
  }
}

/** The plan's app segment: the image `flash` would write (Rust ELFs already converted by the reader). */
export function appSegmentOfPlan(plan: FlashPlan): PlanSegment {
  const apps = plan.segments.filter((s) => s.role === 'app');
  if (apps.length === 0) {
    throw new ImageOutError(
      [
        errorProblem(
          `The plan from ${plan.source ?? 'the project'} has no app segment (${plan.segments.map((s) => s.name).join(', ') || 'no segments'}). Build the app, or give its ELF.`,
        ),
      ],
      'app image',
    );
  }
  return apps[0];
}
