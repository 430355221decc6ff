/** ELF → app/bootloader image (§6.3), as esptool elf2image / espflash do it. */
import { createHash } from 'node:crypto';
import { chipFacts, type ChipName } from '../chips';
import { EM_RISCV, EM_XTENSA, loadableSections, parseElf, sectionData } from './elf';
import { FormatError } from './format_error';
import { buildImage, type BuiltSegment } from './image_build';
import { readAppDescriptor } from './image_descriptors';

export interface ElfToImageOptions {
  chip: ChipName;
  flashMode?: string;
  flashSize?: string;
  flashFreq?: string;
  /** MMU page size; default: the app descriptor's, else 64 KiB. */
  mmuPageSize?: number;
  minRevFull?: number;
  maxRevFull?: number;
  /** For messages. */
  file?: string;
}

export interface ElfImage {
  bytes: Uint8Array;
  segments: BuiltSegment[];
  entry: number;
  /** Names of the ELF sections that went into the image. */
  sections: string[];
  hasAppDesc: boolean;
  mmuPageSize: number;
  /** Hex SHA-256 of the ELF (written into the app descriptor when there is one). */
  elfSha256: string;
}

/** Default header frequency for a chip: the table's name for nibble 0 (40m, C2 30m, H2 24m). */
function defaultFreq(chip: ChipName): string {
  const t = chipFacts(chip).flashFreq;
  return Object.keys(t).find((k) => t[k] === 0) ?? Object.keys(t)[0];
}

export function elfToImage(elfBytes: Uint8Array, opts: ElfToImageOptions): ElfImage {
  const file = opts.file ?? 'ELF file';
  const elf = parseElf(elfBytes, file);
  const facts = chipFacts(opts.chip);
  const xtensa = facts.arch === 'xtensa';
  const expected = xtensa ? EM_XTENSA : EM_RISCV;
  if (elf.machine !== expected) {
    throw new FormatError(
      `${file}: ELF machine ${elf.machine} is not ${xtensa ? 'Xtensa (94)' : 'RISC-V (243)'} as ${facts.displayName} needs; was it built for another chip?`,
      file,
    );
  }
  const sections = loadableSections(elf);
  if (sections.length === 0) throw new FormatError(`${file}: no loadable sections (allocated PROGBITS with an address); nothing to put in an image.`, file);
  const segs = sections.map((s) => ({ addr: s.addr, data: sectionData(elf, s, file), name: s.name }));

  const appDescSection = segs.find((s) => s.name === '.flash.appdesc');
  const desc = appDescSection ? readAppDescriptor(appDescSection.data, 0) : undefined;
  const mmuPageSize = opts.mmuPageSize ?? desc?.mmuPageSize ?? 0x10000;
  const elfSha = createHash('sha256').update(elfBytes).digest();
  const built = buildImage(segs, {
    chip: opts.chip,
    entry: elf.entry,
    flashMode: opts.flashMode ?? 'dio',
    flashSize: opts.flashSize ?? '4MB',
    flashFreq: opts.flashFreq ?? defaultFreq(opts.chip),
    mmuPageSize,
    minRevFull: opts.minRevFull,
    maxRevFull: opts.maxRevFull,
    elfSha256: desc ? elfSha : undefined,
  });
  return {
    bytes: built.bytes,
    segments: built.segments,
    entry: elf.entry,
    sections: sections.map((s) => s.name),
    hasAppDesc: desc !== undefined,
    mmuPageSize,
    elfSha256: elfSha.toString('hex'),
  };
}
