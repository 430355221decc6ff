/**
 * What a command was called with, whatever called it: the palette (nothing), a tree row
 * (the row), the explorer (a Uri), a task or a test (an options object). No vscode here:
 * Uris are recognised by shape.
 */
import type { PlanRow } from './plan_rows';

export interface CommandArgs {
  /** Serial port or "virtual:<chip>…". */
  port?: string;
  /** Several ports (Flash All). */
  ports?: string[];
  /** Project or build folder (absolute path). */
  folder?: string;
  /** Segment name (Flash Segment…). */
  segment?: string;
  /** Partition label (Erase Partition). */
  partition?: string;
  /** A file (explorer context: flasher_args.json, .bin, .elf). */
  file?: string;
  /** Offset for a loose .bin file. */
  offset?: number;
  /** Go ahead with overrides of the core's safety refusals (tests; still logged). */
  force?: boolean;
  /** Answer "yes" to this command's confirmation (erase) without asking. */
  yes?: boolean;
}

interface UriLike {
  scheme: string;
  fsPath: string;
}

function isUriLike(v: unknown): v is UriLike {
  return !!v && typeof v === 'object' && typeof (v as UriLike).fsPath === 'string' && typeof (v as UriLike).scheme === 'string';
}

function isPlanRow(v: unknown): v is PlanRow {
  return !!v && typeof v === 'object' && typeof (v as PlanRow).id === 'string' && typeof (v as PlanRow).kind === 'string';
}

function parseOffset(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  if (typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v.trim())) return Number(v.trim());
  return undefined;
}

export function parseCommandArgs(args: readonly unknown[]): CommandArgs {
  const out: CommandArgs = {};
  for (const a of args) {
    if (a === undefined || a === null) continue;
    if (typeof a === 'string') {
      out.port ??= a;
    } else if (isUriLike(a)) {
      if (a.scheme === 'file') out.file ??= a.fsPath;
    } else if (Array.isArray(a)) {
      // explorer multi-select passes [clicked, all]: the clicked one is enough
      continue;
    } else if (isPlanRow(a)) {
      if (a.segmentName) out.segment ??= a.segmentName;
      if (a.partitionLabel) out.partition ??= a.partitionLabel;
      if (a.file && a.kind === 'segment') out.file ??= a.file;
      if (a.kind === 'problem' && a.file) out.file ??= a.file;
    } else if (typeof a === 'object') {
      const o = a as Record<string, unknown>;
      if (typeof o.port === 'string' && o.port) out.port = o.port;
      if (Array.isArray(o.ports) && o.ports.every((p) => typeof p === 'string' && p)) out.ports = [...(o.ports as string[])];
      if (typeof o.folder === 'string' && o.folder) out.folder = o.folder;
      if (typeof o.segment === 'string' && o.segment) out.segment = o.segment;
      if (typeof o.partition === 'string' && o.partition) out.partition = o.partition;
      if (typeof o.file === 'string' && o.file) out.file = o.file;
      const offset = parseOffset(o.offset);
      if (offset !== undefined) out.offset = offset;
      if (o.force === true) out.force = true;
      if (o.yes === true) out.yes = true;
    }
  }
  return out;
}
