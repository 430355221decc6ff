/**
 * The rows of the Flash Plan tree, computed from what the project reader returned and the
 * user's encrypt choices. plan_tree.ts only turns these into vscode TreeItems. No vscode here.
 */
import { chipFacts } from '../core/chips';
import type { DeviceInfo, WriteSegment } from '../core/flash/api';
import type { CheckPlanOptions } from '../core/plan/check_plan';
import type { FlashPlan, PartitionRef, PlanSegment } from '../core/plan/flash_plan';
import type { Problem } from '../core/plan/problem';
import type { EncryptedBy, WriteKind } from '../core/plan/segment_encryption';
import { formatSize, hexShort } from './output_log';

/** The parts of readProject()'s result the tree shows. */
export interface ProjectView {
  plan: FlashPlan & { partitions?: PartitionRef[] };
  problems: Problem[];
  kind: string;
  buildDir?: string;
  looked: string[];
}

/** What the image's header and app descriptor say (the core reads them; shown in tooltips). */
export interface ImageSummary {
  chip?: string;
  project?: string;
  version?: string;
  idfVersion?: string;
  date?: string;
  time?: string;
}

export type RowKind = 'segment' | 'partition' | 'problem';

export interface PlanRow {
  id: string;
  kind: RowKind;
  label: string;
  description: string;
  tooltip: string;
  /** Segments only: whether "encrypt" is checked. */
  checked?: boolean;
  /** For `when` clauses: "segment", "segment.partition", "partition", "problem". */
  contextValue: string;
  icon: 'file-binary' | 'symbol-field' | 'error' | 'warning';
  severity?: Problem['severity'];
  /** Problems a rule of src/core/rules found: which rule, and whether forcing lets the write through. */
  code?: Problem['code'];
  overridable?: boolean;
  segmentName?: string;
  partitionLabel?: string;
  file?: string;
  offset?: number;
  size?: number;
}

export const KIND_NAMES: Record<string, string> = {
  'esp-idf': 'ESP-IDF build',
  platformio: 'PlatformIO build',
  rust: 'Rust (espflash-style) build',
  plain: 'offset/file pairs',
  none: 'no build output',
};

export function partitionText(p: PartitionRef): string {
  return `${p.label} (${p.typeName}/${p.subtypeName})`;
}

function partitionOf(plan: ProjectView['plan'], seg: PlanSegment): PartitionRef | undefined {
  return seg.partition ?? plan.partitions?.find((p) => p.offset === seg.offset);
}

function segmentTooltip(seg: PlanSegment, part: PartitionRef | undefined, checked: boolean, image: ImageSummary | undefined): string {
  const lines = [`${seg.name} at ${hexShort(seg.offset)}, ${seg.bytes.length} bytes (${formatSize(seg.bytes.length)})`];
  if (seg.file) lines.push(`File: ${seg.file}`);
  if (part) {
    lines.push(
      `Partition: ${partitionText(part)}, ${hexShort(part.offset)}…${hexShort(part.offset + part.size)} (${formatSize(part.size)})` + (part.encrypted ? ', flagged encrypted' : ''),
    );
  }
  lines.push(`Encrypt with "Flash (Encrypted)": ${checked ? 'yes' : 'no'}; build default ${seg.encrypt ? 'yes' : 'no'}` + (seg.encryptSource ? ` (${seg.encryptSource})` : ''));
  if (image) {
    if (image.chip) lines.push(`Image for: ${image.chip}`);
    if (image.project) lines.push(`Project: ${image.project}`);
    if (image.version) lines.push(`Version: ${image.version}`);
    if (image.idfVersion) lines.push(`ESP-IDF: ${image.idfVersion}`);
    if (image.date || image.time) lines.push(`Built: ${[image.date, image.time].filter(Boolean).join(' ')}`);
  }
  return lines.join('\n');
}

/** What the tree judges by of the device read last on the chosen port (Read Device Info). */
export type TreeDevice = Pick<DeviceInfo, 'chip' | 'flashSize' | 'flashEncryption'>;

/**
 * The write the tree judges: on a device with flash encryption on, "Flash (Encrypted)" (the
 * checked segments encrypted; plain Flash would put plaintext where the chip decrypts);
 * otherwise plain Flash.
 */
export function treeWriteKind(device: TreeDevice | undefined): WriteKind {
  return device && device.flashEncryption !== 'off' ? 'encrypted' : 'plain';
}

/**
 * The problems the tree shows. Without a device: the reader's and checkPlan's (view.problems).
 * After Read Device Info: plus what the rules of src/core/rules add with the device's chip,
 * flash size and encryption, for the segments as they would be written (`writes`, from
 * segmentsFromPlan with treeWriteKind): the header flash size as patched (a build saying
 * "detect" gets the device's size), plaintext by region, and so on — through the core's
 * planProblemsWithDevice, the function `plan --device-*` uses; the flash job runs the same rules.
 */
export function treeProblems(
  view: ProjectView,
  device: TreeDevice | undefined,
  writes: Pick<WriteSegment, 'name' | 'offset' | 'encrypt'>[],
  withDevice: (problems: Problem[], plan: FlashPlan, device: CheckPlanOptions) => Problem[],
): Problem[] {
  if (!device || view.plan.segments.length === 0) return view.problems;
  return withDevice(view.problems, view.plan, {
    connectedChip: device.chip,
    ...(device.flashSize ? { deviceFlashSize: device.flashSize } : {}),
    deviceEncryption: device.flashEncryption,
    encryptChoice: (s) => writes.find((w) => w.name === s.name && w.offset === s.offset)?.encrypt ?? 'off',
  });
}

/**
 * The view the tree shows: `view` with its problems judged by treeProblems when the device was
 * read on the chosen port (a device read on another port says nothing about this one). The
 * write judged is treeWriteKind's, with the user's checkbox choices (`overrides`) and the
 * encryption mode setting; `core` is the CoreApi (segmentsFromPlan, planProblemsWithDevice).
 */
export function judgedView(
  view: ProjectView,
  device: { port: string; info: TreeDevice } | undefined,
  port: string | undefined,
  choices: { overrides?: Record<string, boolean>; mode: EncryptedBy },
  core: {
    segmentsFromPlan(plan: FlashPlan, kind: WriteKind, mode: EncryptedBy, overrides?: Record<string, boolean>): Pick<WriteSegment, 'name' | 'offset' | 'encrypt'>[];
    planProblemsWithDevice(problems: Problem[], plan: FlashPlan, device: CheckPlanOptions): Problem[];
  },
): ProjectView {
  const info = device && device.port === port ? device.info : undefined;
  if (!info) return view;
  const writes = core.segmentsFromPlan(view.plan, treeWriteKind(info), choices.mode, choices.overrides);
  return { ...view, problems: treeProblems(view, info, writes, (ps, plan, dev) => core.planProblemsWithDevice(ps, plan, dev)) };
}

export function planRows(view: ProjectView, isChecked: (seg: PlanSegment) => boolean, describe?: (seg: PlanSegment) => ImageSummary | undefined): PlanRow[] {
  const problems: PlanRow[] = view.problems.map((p, i) => ({
    id: `problem:${i}:${p.field ?? ''}`,
    kind: 'problem',
    label: p.message,
    description: [p.field, p.file ? p.file.split(/[\\/]/).pop() : undefined].filter(Boolean).join(' · '),
    tooltip: [p.severity === 'error' ? 'Error' : 'Warning', p.message, p.file ? `File: ${p.file}` : '', p.field ? `At: ${p.field}` : ''].filter(Boolean).join('\n'),
    contextValue: 'problem',
    icon: p.severity === 'error' ? 'error' : 'warning',
    severity: p.severity,
    file: p.file,
    ...(p.code ? { code: p.code, overridable: p.overridable === true } : {}),
  }));

  const plan = view.plan;
  const withImage = new Set<string>();
  const items: PlanRow[] = plan.segments.map((seg) => {
    const part = partitionOf(plan, seg);
    if (part) withImage.add(part.label);
    const checked = isChecked(seg);
    let image: ImageSummary | undefined;
    try {
      image = describe?.(seg);
    } catch {
      image = undefined; // a tooltip is no reason to fail the tree
    }
    return {
      id: `segment:${seg.name}@${seg.offset}`,
      kind: 'segment',
      label: seg.name,
      description: [hexShort(seg.offset), formatSize(seg.bytes.length), part ? partitionText(part) : undefined].filter(Boolean).join(' · '),
      tooltip: segmentTooltip(seg, part, checked, image),
      checked,
      contextValue: part ? 'segment.partition' : 'segment',
      icon: 'file-binary',
      segmentName: seg.name,
      partitionLabel: part?.label,
      file: seg.file,
      offset: seg.offset,
      size: seg.bytes.length,
    };
  });

  for (const p of plan.partitions ?? []) {
    if (withImage.has(p.label)) continue;
    items.push({
      id: `partition:${p.label}@${p.offset}`,
      kind: 'partition',
      label: p.label,
      description: [hexShort(p.offset), formatSize(p.size), `${p.typeName}/${p.subtypeName}`, 'no image'].join(' · '),
      tooltip:
        `Partition ${partitionText(p)} at ${hexShort(p.offset)}, ${formatSize(p.size)}` +
        `${p.encrypted ? ', flagged encrypted' : ''}.\nThe build has no image for it: flashing leaves it as it is.`,
      contextValue: 'partition',
      icon: 'symbol-field',
      partitionLabel: p.label,
      offset: p.offset,
      size: p.size,
    });
  }
  items.sort((a, b) => (a.offset ?? 0) - (b.offset ?? 0));
  return [...problems, ...items];
}

/** The line above the tree: where the plan came from, chip and flash settings. */
/** `display` shows a path as the user knows it (relative to the workspace). */
export function planHeadline(view: ProjectView, display: (p: string) => string = (p) => p): string | undefined {
  if (view.kind === 'none' || view.plan.segments.length === 0) {
    return view.looked.length ? `No build output found. Looked for: ${view.looked.join(', ')}` : 'No build output found.';
  }
  const s = view.plan.settings;
  const chip = view.plan.chip ? chipFacts(view.plan.chip).displayName : 'chip unknown';
  const where = view.buildDir ? display(view.buildDir) : (view.plan.source ?? '');
  return `${KIND_NAMES[view.kind] ?? view.kind}: ${where} · ${chip} · ${s.mode} ${s.size} ${s.freq}`;
}
