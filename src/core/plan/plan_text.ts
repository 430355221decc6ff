/**
 * Plain-text rendering of a plan, a partition table and an image header — what the CLI
 * prints (and what an output channel can show), from the same data the tree view uses.
 */
import { chipFacts } from '../chips';
import { hex } from '../formats/bytes';
import type { ImageInfo } from '../formats/image_format';
import type { FlashPlan, PartitionRef, PlanSegment } from './flash_plan';
import { formatProblem, type Problem } from './problem';

/** Left-aligned columns separated by two spaces. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function relativeTo(base: string | undefined, file: string | undefined): string {
  if (!file) return '(in memory)';
  if (base && file.startsWith(base + '/')) return file.slice(base.length + 1);
  return file;
}

function partitionCell(s: PlanSegment): string {
  if (s.role === 'bootloader') return '(bootloader)';
  if (s.role === 'partition-table') return '(partition table)';
  return s.partition?.label ?? '-';
}

export function segmentRows(plan: FlashPlan): string[] {
  const rows = plan.segments.map((s) => [s.name, hex(s.offset), String(s.bytes.length), partitionCell(s), s.encrypt ? 'yes' : 'no', relativeTo(plan.source, s.file)]);
  return table(['Name', 'Offset', 'Size', 'Partition', 'Encrypt', 'Source'], rows);
}

export function partitionRows(parts: PartitionRef[], segments: PlanSegment[] = []): string[] {
  const rows = parts.map((p) => {
    const flags = [p.encrypted ? 'encrypted' : '', p.readonly ? 'readonly' : ''].filter((x) => x).join(':') || '-';
    const img = segments.filter((s) => s.partition === p || (s.partition && s.partition.offset === p.offset && s.partition.label === p.label)).map((s) => s.name);
    return [p.label, p.typeName, p.subtypeName, hex(p.offset), hex(p.size), flags, p.encryptByDefault ? 'yes' : 'no', img.join(', ') || '-'];
  });
  return table(['Name', 'Type', 'SubType', 'Offset', 'Size', 'Flags', 'Enc.default', 'Image'], rows);
}

export function planText(plan: FlashPlan, problems: Problem[], kindLabel?: string): string[] {
  const out: string[] = [];
  if (kindLabel) out.push(`${kindLabel}: ${plan.source ?? ''}`.trimEnd());
  const chip = plan.chip ? chipFacts(plan.chip).displayName : 'unknown';
  const st = plan.settings;
  out.push(`Chip: ${chip}`);
  out.push(`Flash settings: mode ${st.mode}, size ${st.size}, freq ${st.freq}` + (plan.settingsSource ? ` (from ${plan.settingsSource})` : ''));
  out.push(`Flash encryption: ${plan.flashEncryption ?? 'unknown'}`);
  const reset = [plan.before ? `before ${plan.before}` : '', plan.after ? `after ${plan.after}` : '', plan.stub !== undefined ? `stub ${plan.stub ? 'yes' : 'no'}` : ''].filter(
    (x) => x,
  );
  if (reset.length) out.push(`Build options: ${reset.join(', ')}`);
  out.push('');
  if (plan.segments.length > 0) {
    out.push(...segmentRows(plan));
    out.push('');
    out.push('Encrypt defaults:');
    for (const s of plan.segments) out.push(`  ${s.name}: ${s.encrypt ? 'encrypt' : 'plain'} — ${s.encryptSource ?? 'no reason recorded'}`);
  } else out.push('Nothing to flash.');
  if (plan.partitions && plan.partitions.length > 0) {
    out.push('');
    out.push(`Partition table${plan.partitionTableOffset !== undefined ? ` at ${hex(plan.partitionTableOffset)}` : ''}:`);
    out.push(...partitionRows(plan.partitions, plan.segments).map((l) => `  ${l}`));
  }
  out.push('');
  out.push(...problemLines(problems));
  return out;
}

export function problemLines(problems: Problem[]): string[] {
  if (problems.length === 0) return ['No problems found.'];
  const errors = problems.filter((p) => p.severity === 'error').length;
  return [`Problems (${errors} error(s), ${problems.length - errors} warning(s)):`, ...problems.map((p) => `  ${formatProblem(p)}`)];
}

function revText(full: number): string {
  return `v${Math.floor(full / 100)}.${full % 100}`;
}

export function imageText(info: ImageInfo): string[] {
  const out: string[] = [];
  const chip = info.chip ? chipFacts(info.chip).displayName : 'unknown chip';
  out.push(`Chip: ${chip} (chip id ${info.chipId ?? '-'})`);
  out.push(`Entry point: ${hex(info.entry)}`);
  out.push(
    `Flash: mode ${info.flashMode ?? `? (${hex(info.flashModeByte)})`}, size ${info.flashSize ?? `? (nibble ${info.flashSizeNibble})`}, ` +
      `freq ${info.flashFreq ?? `? (nibble ${info.flashFreqNibble})`}`,
  );
  const max = info.maxRevFull === 0xffff || info.maxRevFull === 0 ? 'no limit' : revText(info.maxRevFull);
  out.push(`Chip revision: min ${revText(info.minRevFull)} (legacy min_rev ${info.minRev}), max ${max}`);
  out.push(`WP pin: ${hex(info.wpPin)}${info.wpPin === 0xee ? ' (unused)' : ''}`);
  out.push(`Segments (${info.segmentCount}):`);
  out.push(
    ...table(
      ['#', 'Load address', 'Length', 'File offset', 'Mapping'],
      info.segments.map((s, i) => [String(i), hex(s.addr), String(s.length), hex(s.dataOffset), s.mapping ?? '-']),
    ).map((l) => `  ${l}`),
  );
  out.push(`Checksum: ${hex(info.checksum.stored)} ${info.checksum.ok ? '(valid)' : `(INVALID, computed ${hex(info.checksum.computed)})`}`);
  if (info.hashAppended) {
    out.push(
      info.sha256
        ? `SHA-256 appended: ${info.sha256.stored} ${info.sha256.ok ? '(valid)' : `(INVALID, computed ${info.sha256.computed})`}`
        : 'SHA-256 appended: missing (file truncated)',
    );
  } else out.push('SHA-256 appended: no');
  out.push(`Image length: ${info.imageLength} bytes` + (info.trailingBytes ? ` (+${info.trailingBytes} trailing bytes: signature or padding)` : ''));
  if (info.appDesc) {
    const d = info.appDesc;
    out.push('App descriptor:');
    out.push(`  Project: ${d.projectName}`);
    out.push(`  Version: ${d.version}`);
    out.push(`  ESP-IDF: ${d.idfVersion}`);
    out.push(`  Built: ${d.date} ${d.time}`);
    out.push(`  Secure version: ${d.secureVersion}`);
    out.push(`  ELF SHA-256: ${d.elfSha256}`);
    if (d.mmuPageSize) out.push(`  MMU page size: ${d.mmuPageSize} bytes`);
  }
  if (info.bootloaderDesc) {
    const d = info.bootloaderDesc;
    out.push('Bootloader descriptor:');
    out.push(`  ESP-IDF: ${d.idfVersion}`);
    out.push(`  Version: ${d.version}`);
    out.push(`  Built: ${d.dateTime}`);
    out.push(`  Secure version: ${d.secureVersion}`);
  }
  return out;
}
