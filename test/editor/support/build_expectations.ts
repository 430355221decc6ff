/**
 * What the Flash Plan should hold for the workspace's ESP-IDF build, read straight from its
 * flasher_args.json (names, offsets, files and "encrypted" flags), independent of the extension's reader.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';

export interface ExpectedSegment {
  name: string;
  offset: number;
  file: string;
  encrypt: boolean;
}

/** The build folder the runner prepared (ESP_FLASHER_TEST_BUILD_DIR), else <first workspace folder>/build. */
export function workspaceBuildDir(): string {
  const fromRunner = process.env.ESP_FLASHER_TEST_BUILD_DIR;
  if (fromRunner) return fromRunner;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!folder) throw new Error('no workspace folder is open: the runner passes one as the first launch argument');
  return path.join(folder, 'build');
}

export function expectedSegments(buildDir = workspaceBuildDir()): ExpectedSegment[] {
  const file = path.join(buildDir, 'flasher_args.json');
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  const out: ExpectedSegment[] = [];
  for (const [name, entry] of Object.entries(json)) {
    const e = entry as { offset?: unknown; file?: unknown; encrypted?: unknown } | null;
    if (!e || typeof e !== 'object' || typeof e.offset !== 'string' || typeof e.file !== 'string') continue;
    out.push({ name, offset: Number(e.offset), file: path.join(buildDir, e.file), encrypt: String(e.encrypted) === 'true' });
  }
  if (out.length === 0) throw new Error(`${file} names no images ({offset, file} entries)`);
  return out.sort((a, b) => a.offset - b.offset);
}

export const hex8 = (n: number): string => '0x' + n.toString(16).padStart(8, '0');
