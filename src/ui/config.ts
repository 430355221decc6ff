/** Typed access to the extension's settings (espFlasher.*), per workspace folder. */
import * as vscode from 'vscode';
import { normalizeSettings, type Settings } from './flash_options';

export const SECTION = 'espFlasher';

/** Setting ids under espFlasher.* for each Settings field. */
const KEYS: Record<keyof Settings, string> = {
  port: 'port',
  baud: 'baud',
  chip: 'chip',
  before: 'before',
  after: 'after',
  stub: 'stub',
  verify: 'verify',
  skipUnchanged: 'skipUnchanged',
  deviceCache: 'deviceCache',
  compress: 'compress',
  encryptionMode: 'encryption.mode',
  keyFile: 'encryption.keyFile',
  keyFolder: 'encryption.keyFolder',
  buildFolder: 'buildFolder',
  lineReportFile: 'line.reportFile',
};

export function readSettings(folder?: vscode.Uri): Settings {
  const cfg = vscode.workspace.getConfiguration(SECTION, folder);
  const raw: Partial<Record<keyof Settings, unknown>> = {};
  for (const [field, key] of Object.entries(KEYS) as Array<[keyof Settings, string]>) raw[field] = cfg.get(key);
  return normalizeSettings(raw);
}

export function settingId(field: keyof Settings): string {
  return `${SECTION}.${KEYS[field]}`;
}

export function affectsUs(e: vscode.ConfigurationChangeEvent): boolean {
  return e.affectsConfiguration(SECTION);
}

export function affectsBuild(e: vscode.ConfigurationChangeEvent): boolean {
  return e.affectsConfiguration(settingId('buildFolder'));
}

export async function openSetting(field: keyof Settings): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.openSettings', settingId(field));
}
