/** Plain `offset file` pairs (like esptool write-flash arguments) → FlashPlan. */
import * as path from 'node:path';
import { chipByImageId, type ChipName } from '../chips';
import { hex } from '../formats/bytes';
import { looksLikeImage } from '../formats/image_parse';
import type { FlashPlan } from '../plan/flash_plan';
import { errorProblem, type Problem } from '../plan/problem';
import { readHead } from './fs_util';
import { buildSegments, type DraftSegment } from './plan_builder';

export interface PlainPair {
  offset: number;
  file: string;
  /** The offset as typed, so a finding can say how it was read ("010" is decimal 10). */
  text?: string;
}

export async function readPlainPairsRaw(pairs: PlainPair[], opts: { chip?: ChipName; baseDir?: string } = {}): Promise<{ plan: FlashPlan; problems: Problem[] }> {
  const problems: Problem[] = [];
  const drafts: DraftSegment[] = [];
  pairs.forEach((p, i) => {
    if (!Number.isSafeInteger(p.offset) || p.offset < 0 || p.offset > 0xffffffff) {
      problems.push(errorProblem(`Pair ${i + 1}: offset ${p.offset} is not a flash offset (0 … 0xFFFFFFFF).`, p.file, `pair ${i + 1}`));
      return;
    }
    const file = path.resolve(opts.baseDir ?? process.cwd(), p.file);
    drafts.push({
      name: path.basename(file).replace(/\.bin$/i, ''),
      offset: p.offset,
      file,
      origin: `pair ${i + 1} (${hex(p.offset)} ${p.file})`,
      ...(p.text !== undefined ? { offsetText: p.text } : {}),
      encryptMark: { value: false, source: 'offset/file pairs carry no encrypted mark; mark the segment encrypted to write it encrypted' },
    });
  });
  let chip = opts.chip;
  if (!chip) {
    for (const d of drafts) {
      const b = await readHead(d.file, 24);
      if (b && looksLikeImage(b)) {
        chip = chipByImageId(b[12] | (b[13] << 8))?.name;
        if (chip) break;
      }
    }
  }
  const built = await buildSegments(drafts, { chip });
  const plan: FlashPlan = {
    settings: { mode: 'keep', size: 'keep', freq: 'keep' },
    settingsSource: 'offset/file pairs (images keep their headers)',
    segments: built.segments,
    source: 'offset/file pairs',
    inputs: drafts.map((d) => d.file),
  };
  if (chip) plan.chip = chip;
  if (built.partitions) plan.partitions = built.partitions;
  if (built.tableOffset !== undefined) plan.partitionTableOffset = built.tableOffset;
  return { plan, problems };
}
