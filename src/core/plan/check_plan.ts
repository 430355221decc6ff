/**
 * Checks a FlashPlan before anything touches hardware: every finding is a Problem that names
 * the segment, the file and the field, and says what to do.
 */
import { existsSync, statSync } from 'node:fs';

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
import { chipFacts, flashSizeBytes, type ChipName } from '../chips';
import { formatSize, hex } from '../formats/bytes';
import { flashFreqNibble, flashModeByte, flashSizeNibble, validFlashFreqs } from '../formats/flash_params';
import { looksLikeImage, parseImage } from '../formats/image_parse';
import { parsePartitionTable } from '../formats/partition_binary';
import { TYPE, partitionAt } from '../formats/partition_table';
import type { EncryptMode, FlashPlan, PlanSegment } from './flash_plan';
import { DEFAULT_PARTITION_TABLE_OFFSET } from '../rules/encrypted_regions';
import { layoutFindings } from '../rules/layout_rules';
import { findingText } from '../rules/rule_finding';
import { errorProblem, warningProblem, type Problem } from './problem';

export interface CheckPlanOptions {
  /** Flash size the connected device reported (bytes). */
  deviceFlashSize?: number;
  /** Chip the connected device is. */
  connectedChip?: ChipName;
  /** The connected device's flash encryption (Read Device Info), for the encrypted-region rule. */
  deviceEncryption?: 'off' | 'development' | 'release';
  /** How each segment will be written, when the write is chosen (the region rule waits until then). */
  encryptChoice?: (s: PlanSegment) => EncryptMode;
}

function label(s: PlanSegment): string {
  return `segment ${s.name} at ${hex(s.offset)}` + (s.file ? ` (${s.file})` : '');
}

function fieldOf(s: PlanSegment): string {
  return `segment ${s.name}`;
}

/** The flash size the plan can be checked against, and where it came from. */
function knownFlashSize(plan: FlashPlan, opts: CheckPlanOptions): { bytes: number; from: string } | undefined {
  if (opts.deviceFlashSize) return { bytes: opts.deviceFlashSize, from: 'the connected device' };
  const s = flashSizeBytes(plan.settings.size);
  if (s) return { bytes: s, from: `the build's flash size (${plan.settings.size})` };
  const boot = plan.segments.find((x) => x.role === 'bootloader' && x.image?.flashSize);
  const b = boot?.image?.flashSize ? flashSizeBytes(boot.image.flashSize) : undefined;
  if (b && plan.settings.size !== 'detect') return { bytes: b, from: `the bootloader header (${boot?.image?.flashSize})` };
  return undefined;
}

function checkFileAndBytes(s: PlanSegment, out: Problem[]): boolean {
  if (s.bytes.length > 0) return true;
  if (s.file && !existsSync(s.file)) {
    out.push(
      errorProblem(
        `${label(s)}: the file does not exist` + (s.origin ? ` (listed by ${s.origin})` : '') + '. Build the project, or fix the path in the build output.',
        s.file,
        fieldOf(s),
      ),
    );
  } else if (s.file && isDirectory(s.file)) {
    out.push(errorProblem(`${label(s)}: ${s.file} is a folder, not a file. Give the image file inside it (e.g. ${s.file.replace(/[\\/]+$/, '')}/app.bin).`, s.file, fieldOf(s)));
  } else {
    out.push(errorProblem(`${label(s)}: the file is empty (0 bytes); nothing would be written. Rebuild it or remove the segment.`, s.file, fieldOf(s)));
  }
  return false;
}

function checkImage(plan: FlashPlan, s: PlanSegment, chip: ChipName | undefined, opts: CheckPlanOptions, out: Problem[]): void {
  const expectImage = s.role === 'app' || s.role === 'bootloader';
  if (!expectImage && !s.image) return;
  if (!expectImage && !looksLikeImage(s.bytes)) return;
  const parsed = parseImage(s.bytes, { chip, file: s.file ?? s.name, field: fieldOf(s) });
  if (expectImage || parsed.problems.every((p) => p.severity !== 'error')) out.push(...parsed.problems);
  const info = parsed.info;
  if (!info) return;

  // Chip id.
  const imgChip = info.chip;
  if (imgChip && plan.chip && imgChip !== plan.chip) {
    out.push(
      errorProblem(
        `${label(s)}: the image is built for ${chipFacts(imgChip).displayName} (header chip id ${info.chipId}) but the plan is for ${chipFacts(plan.chip).displayName}. ` +
          `Build for the right target (idf.py set-target ${plan.chip}) or pick the right chip.`,
        s.file,
        fieldOf(s),
      ),
    );
  }
  if (imgChip && opts.connectedChip && imgChip !== opts.connectedChip) {
    out.push(
      errorProblem(
        `${label(s)}: the image is built for ${chipFacts(imgChip).displayName} but the connected chip is ${chipFacts(opts.connectedChip).displayName}; it would not boot. ` +
          `Connect the right board or build for ${opts.connectedChip}.`,
        s.file,
        fieldOf(s),
      ),
    );
  }

  // Header flash settings vs the build's.
  const st = plan.settings;
  const boot = s.role === 'bootloader';
  const diffs: string[] = [];
  if (st.mode !== 'keep') {
    const b = flashModeByte(st.mode);
    if (b !== undefined && b !== info.flashModeByte) diffs.push(`flash mode ${info.flashMode ?? hex(info.flashModeByte)} (build: ${st.mode})`);
  }
  if (st.size !== 'keep' && st.size !== 'detect') {
    const n = flashSizeNibble(st.size);
    if (n !== undefined && n !== info.flashSizeNibble) diffs.push(`flash size ${info.flashSize ?? `nibble ${info.flashSizeNibble}`} (build: ${st.size})`);
  }
  const fchip = chip ?? imgChip;
  if (st.freq !== 'keep' && fchip) {
    const n = flashFreqNibble(fchip, st.freq);
    if (n === undefined) {
      if (boot) {
        out.push(
          errorProblem(
            `Flash frequency ${st.freq} (${plan.settingsSource ?? 'build settings'}) is not valid for ${chipFacts(fchip).displayName}; valid: ${validFlashFreqs(fchip).join(', ')}.`,
            undefined,
            'flash_freq',
          ),
        );
      }
    } else if (n !== info.flashFreqNibble) diffs.push(`flash frequency ${info.flashFreq ?? `nibble ${info.flashFreqNibble}`} (build: ${st.freq})`);
  }
  if (diffs.length > 0) {
    const from = plan.settingsSource ? ` (${plan.settingsSource})` : '';
    out.push(
      warningProblem(
        boot
          ? `${label(s)}: the image header says ${diffs.join(', ')} — the header and the build's settings${from} disagree. The build's settings win: ` +
              `the flasher writes them into the bootloader header at ${hex(s.offset)} while flashing, as esptool and idf.py do. ` +
              `If the header is right (e.g. the board has more flash), change the project's flash settings and rebuild.`
          : `${label(s)}: the app header says ${diffs.join(', ')} — it disagrees with the build's settings${from}. App headers are written as built ` +
              `(only the bootloader header is patched), and the chip runs with the bootloader's settings; rebuild so the two agree.`,
        s.file,
        fieldOf(s),
      ),
    );
  }
}

export function checkPlan(plan: FlashPlan, opts: CheckPlanOptions = {}): Problem[] {
  const out: Problem[] = [];
  const chip = plan.chip ?? opts.connectedChip;
  const facts = chip ? chipFacts(chip) : undefined;
  if (plan.segments.length === 0) {
    out.push(errorProblem(`The plan has no segments: nothing to flash${plan.source ? ` from ${plan.source}` : ''}.`));
    return out;
  }
  if (plan.chip && opts.connectedChip && plan.chip !== opts.connectedChip) {
    out.push(
      errorProblem(
        `The plan is for ${chipFacts(plan.chip).displayName} but the connected chip is ${chipFacts(opts.connectedChip).displayName}. Connect the right board or build for ${opts.connectedChip}.`,
        undefined,
        'chip',
      ),
    );
  }

  for (const s of plan.segments) {
    if (!checkFileAndBytes(s, out)) continue;
    if (s.encrypt && facts) {
      if (facts.encryptedWriteAlign === 0) {
        out.push(errorProblem(`${label(s)} is marked encrypted, but ${facts.displayName} has no flash encryption. Clear its encrypt mark.`, s.file, fieldOf(s)));
      } else if (s.offset % facts.encryptedWriteAlign !== 0) {
        out.push(
          errorProblem(
            `${label(s)} is marked encrypted but its offset is not a multiple of ${facts.encryptedWriteAlign} bytes, which ${facts.displayName} needs for encrypted writes. ` +
              `Move it to an aligned offset or write it plain.`,
            s.file,
            fieldOf(s),
          ),
        );
      }
    }
    if (s.role === 'bootloader' && facts && s.offset !== facts.bootloaderOffset) {
      out.push(
        errorProblem(
          `${label(s)}: ${facts.displayName} boots its 2nd-stage bootloader from ${hex(facts.bootloaderOffset)}, not ${hex(s.offset)}. Fix the bootloader offset or the chip.`,
          s.file,
          fieldOf(s),
        ),
      );
    }
    if (s.role === 'partition-table') {
      out.push(...parsePartitionTable(s.bytes, { file: s.file ?? s.name, tableOffset: s.offset }).problems);
    }
    checkImage(plan, s, chip, opts, out);
  }

  // Overlaps.
  const sorted = [...plan.segments].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1];
    const b = sorted[i];
    if (a.offset + a.bytes.length > b.offset) {
      out.push(
        errorProblem(
          `${label(b)} overlaps ${label(a)}, which ends at ${hex(a.offset + a.bytes.length)}. One would overwrite the other; fix the offsets or drop one segment.`,
          b.file,
          fieldOf(b),
        ),
      );
    }
  }

  // The rules the flash job applies too (src/core/rules), with the facts the plan has.
  out.push(...ruleProblems(plan, facts, opts));

  // Flash size.
  const size = knownFlashSize(plan, opts);
  if (size) {
    for (const s of plan.segments) {
      if (s.offset + s.bytes.length > size.bytes) {
        out.push(
          errorProblem(
            `${label(s)} ends at ${hex(s.offset + s.bytes.length)}, beyond the ${formatSize(size.bytes)} flash size of ${size.from}. Move or shrink it, or use a larger flash.`,
            s.file,
            fieldOf(s),
          ),
        );
      }
    }
    for (const p of plan.partitions ?? []) {
      if (p.offset + p.size > size.bytes) {
        out.push(
          warningProblem(
            `Partition ${p.label} (${hex(p.offset)}–${hex(p.offset + p.size)}) ends beyond the ${formatSize(size.bytes)} flash size of ${size.from}; the app cannot use it. Fix the partition table or the flash size.`,
            undefined,
            `partition ${p.label}`,
          ),
        );
      }
    }
  }

  // Partitions.
  if (plan.partitions && plan.partitions.length > 0) {
    for (const s of plan.segments) {
      if (s.role === 'bootloader' || s.role === 'partition-table') continue;
      const p = partitionAt(plan.partitions, s.offset);
      if (!p) {
        out.push(warningProblem(`${label(s)} lies in no partition of the table; nothing will find it there. Check the offset against the partition table.`, s.file, fieldOf(s)));
        continue;
      }
      const end = s.offset + s.bytes.length;
      if (end > p.offset + p.size) {
        out.push(
          errorProblem(
            `${label(s)} is ${s.bytes.length} bytes but partition ${p.label} (${hex(p.offset)}, ${formatSize(p.size)}) leaves only ${p.offset + p.size - s.offset} bytes from that offset. ` +
              `Make the partition larger or the image smaller.`,
            s.file,
            fieldOf(s),
          ),
        );
      }
      if (s.offset !== p.offset) {
        out.push(
          warningProblem(
            `${label(s)} starts ${hex(s.offset - p.offset)} bytes into partition ${p.label} (${hex(p.offset)}); images are normally written at a partition's start.`,
            s.file,
            fieldOf(s),
          ),
        );
      }
      if (s.role === 'app' && p.type !== TYPE.app) {
        out.push(errorProblem(`${label(s)} is an app image but lands in ${p.typeName} partition ${p.label}; apps go into app partitions.`, s.file, fieldOf(s)));
      }
    }
  }
  return out;
}

/** The layout rules of src/core/rules, as problems (a refusal is an error, a warning a warning). */
function ruleProblems(plan: FlashPlan, facts: ReturnType<typeof chipFacts> | undefined, opts: CheckPlanOptions): Problem[] {
  const segs = plan.segments
    .filter((s) => s.bytes.length > 0)
    .map((s) => ({
      name: s.name,
      offset: s.offset,
      bytes: s.bytes,
      encryptedInBuild: s.encrypt,
      ...(opts.encryptChoice ? { encrypt: opts.encryptChoice(s) } : {}),
      ...(s.offsetText !== undefined ? { offsetText: s.offsetText } : {}),
    }));
  const findings = layoutFindings(segs, {
    chip: facts,
    settings: plan.settings,
    deviceFlashSize: opts.deviceFlashSize,
    deviceEncryption: opts.deviceEncryption,
    layout: plan.partitions?.length
      ? { partitions: plan.partitions, tableOffset: plan.partitionTableOffset ?? DEFAULT_PARTITION_TABLE_OFFSET, source: "the plan's partition table" }
      : undefined,
  });
  return findings.map((f) => {
    const s = plan.segments.find((x) => x.name === f.segment && x.offset === f.offset);
    const p = f.severity === 'refuse' ? errorProblem(findingText(f), s?.file, s ? fieldOf(s) : undefined) : warningProblem(findingText(f), s?.file, s ? fieldOf(s) : undefined);
    p.code = f.code;
    p.overridable = f.overridable;
    return p;
  });
}

/** checkPlan's findings that need the device (chip, flash size) — for after connecting. */
export function checkPlanAgainstDevice(plan: FlashPlan, device: Required<CheckPlanOptions> | CheckPlanOptions): Problem[] {
  const before = new Set(checkPlan(plan).map((p) => `${p.severity}\u0000${p.message}`));
  return checkPlan(plan, device).filter((p) => !before.has(`${p.severity}\u0000${p.message}`));
}

/**
 * The problems a face shows once device facts are known (`plan --device-*`, the Flash Plan tree
 * after Read Device Info): the plan's own, then what the device adds, each once. One function,
 * so `plan` and the tree give the same verdict (the flash job runs the same rules).
 */
export function planProblemsWithDevice(problems: Problem[], plan: FlashPlan, device: CheckPlanOptions): Problem[] {
  const seen = new Set(problems.map((p) => p.message));
  return [...problems, ...checkPlanAgainstDevice(plan, device).filter((p) => !seen.has(p.message))];
}
