/**
 * FlashPlan → plain JSON (no Uint8Array), so the tree view, the CLI (`plan --json`) and tests
 * show the same thing. Offsets are numbers plus a hex string for people.
 */
import { hex } from '../formats/bytes';
import type { ImageInfo } from '../formats/image_format';
import type { FlashEncryptionMode, FlashPlan, FlashSettings, PartitionRef, SegmentRole } from './flash_plan';

export interface SegmentJson {
  name: string;
  offset: number;
  offsetHex: string;
  size: number;
  file?: string;
  encrypt: boolean;
  encryptSource?: string;
  role?: SegmentRole;
  partition?: PartitionRef;
  image?: ImageInfo;
  origin?: string;
}

export interface PlanJson {
  chip?: string;
  settings: FlashSettings;
  settingsSource?: string;
  source?: string;
  before?: string;
  after?: string;
  stub?: boolean;
  flashEncryption?: FlashEncryptionMode;
  partitionTableOffset?: number;
  partitions?: PartitionRef[];
  segments: SegmentJson[];
  inputs?: string[];
}

function drop<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

export function planToJson(plan: FlashPlan): PlanJson {
  return drop({
    chip: plan.chip,
    settings: { ...plan.settings },
    settingsSource: plan.settingsSource,
    source: plan.source,
    before: plan.before,
    after: plan.after,
    stub: plan.stub,
    flashEncryption: plan.flashEncryption,
    partitionTableOffset: plan.partitionTableOffset,
    partitions: plan.partitions?.map((p) => ({ ...p })),
    segments: plan.segments.map((s) =>
      drop({
        name: s.name,
        offset: s.offset,
        offsetHex: hex(s.offset),
        size: s.bytes.length,
        file: s.file,
        encrypt: s.encrypt,
        encryptSource: s.encryptSource,
        role: s.role,
        partition: s.partition ? { ...s.partition } : undefined,
        image: s.image ? (JSON.parse(JSON.stringify(s.image)) as ImageInfo) : undefined,
        origin: s.origin,
      }),
    ),
    inputs: plan.inputs ? [...plan.inputs] : undefined,
  });
}
