/** A merged image as the bytes of a file: raw, Intel HEX or UF2 (the chip's family id). */
import { chipFacts } from '../chips';
import type { FlashPlan } from '../plan/flash_plan';
import { writeFileAtomic } from './atomic_write';
import { toIntelHex } from './intel_hex';
import { mergePlan, type MergedImage, type MergeSegment } from './merge_image';
import { toUf2 } from './uf2';

export const IMAGE_FORMATS = ['raw', 'hex', 'uf2'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

export function encodeMergedImage(merged: MergedImage, format: ImageFormat): Uint8Array | string {
  if (format === 'hex') return toIntelHex(merged.runs);
  if (format === 'uf2') return toUf2(merged.runs, chipFacts(merged.chip).uf2FamilyId);
  return merged.raw;
}

/** The format a file name asks for: .hex → Intel HEX, .uf2 → UF2, anything else raw. */
export function formatForFileName(file: string): ImageFormat {
  const ext = file.toLowerCase().split('.').pop();
  return ext === 'hex' || ext === 'ihex' ? 'hex' : ext === 'uf2' ? 'uf2' : 'raw';
}

/**
 * The whole job for a face (CLI, editor): the plan's checks, the merge, the encoding the
 * format (or the file name) asks for, and an atomic write. Throws ImageOutError for refusals.
 */
export async function writeMergedImageFile(
  plan: FlashPlan,
  segments: MergeSegment[],
  opts: Parameters<typeof mergePlan>[2],
  target: string,
  format: ImageFormat = formatForFileName(target),
): Promise<{ merged: MergedImage; format: ImageFormat; size: number }> {
  const merged = mergePlan(plan, segments, opts);
  const data = encodeMergedImage(merged, format);
  await writeFileAtomic(target, data);
  return { merged, format, size: typeof data === 'string' ? Buffer.byteLength(data) : data.length };
}
