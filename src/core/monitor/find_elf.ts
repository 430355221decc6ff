/**
 * Where a build's app ELF is: beside the app image the plan flashes (ESP-IDF build/<app>.bin →
 * <app>.elf, PlatformIO firmware.bin → firmware.elf), the cargo ELF the plan was made from, or
 * ESP-IDF's project_description.json "app_elf". Says why when there is none.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isElf } from '../formats/elf';
import { parseImage } from '../formats/image_parse';
import type { FlashPlan } from '../plan/flash_plan';

export type ElfLookup = { file: string } | { reason: string };

function readHead(file: string): Uint8Array | undefined {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const b = new Uint8Array(4);
      fs.readSync(fd, b, 0, 4, 0);
      return b;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

const isElfFile = (f: string): boolean => {
  const h = readHead(f);
  return h !== undefined && isElf(h);
};

function appSegment(plan: FlashPlan): FlashPlan['segments'][number] | undefined {
  return plan.segments.find((s) => s.role === 'app') ?? plan.segments.find((s) => s.name === 'app') ?? plan.segments.find((s) => s.partition?.type === 0);
}

/** The ELF SHA-256 the plan's app image carries in its esp_app_desc (what the app prints at boot), if any. */
export function appImageElfSha(plan: FlashPlan): { sha256: string; image: string } | undefined {
  const app = appSegment(plan);
  const bytes = app?.bytes;
  if (!app || !bytes?.length) return undefined;
  try {
    const sha = parseImage(bytes, { chip: plan.chip }).info?.appDesc?.elfSha256;
    return sha ? { sha256: sha, image: app.file ?? app.name } : undefined;
  } catch {
    return undefined;
  }
}

export function findAppElf(plan: FlashPlan): ElfLookup {
  const app = appSegment(plan);
  const candidates: string[] = [];
  for (const f of plan.inputs ?? []) if (/\.elf$/i.test(f) || path.extname(f) === '') candidates.push(f);
  if (app?.file) {
    candidates.unshift(app.file.replace(/\.bin$/i, '.elf'));
    if (!/\.bin$/i.test(app.file)) candidates.unshift(app.file);
    const desc = path.join(path.dirname(app.file), 'project_description.json');
    try {
      const j = JSON.parse(fs.readFileSync(desc, 'utf8')) as { app_elf?: string; build_dir?: string };
      if (j.app_elf) candidates.push(path.resolve(path.dirname(app.file), j.app_elf));
    } catch {
      /* not an ESP-IDF build folder */
    }
  }
  for (const c of candidates) if (isElfFile(c)) return { file: c };
  if (!app) return { reason: 'the plan has no app image to look for an ELF beside' };
  if (!app.file) return { reason: `the app image does not come from a file, so there is no ELF beside it` };
  return { reason: `no ELF beside ${app.file} (looked for ${path.basename(app.file.replace(/\.bin$/i, '.elf'))})` };
}
