/** The extension under test, activated, with its test API (what activate() returns). */
import * as assert from 'assert';
import * as vscode from 'vscode';
import type { EspFlasherApi } from '../../../src/ui/api';

export const EXTENSION_ID = 'esp-flasher.esp-flasher';

export interface Activated {
  api: EspFlasherApi;
  /** Milliseconds ext.activate() took here; the extension may already have been active (startup activation). */
  activateMs: number;
  wasActive: boolean;
}

let activated: Activated | undefined;

export async function activateExtension(): Promise<Activated> {
  if (activated) return activated;
  const ext = vscode.extensions.getExtension<EspFlasherApi>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not loaded: is extensionDevelopmentPath the repo root with a built dist/extension.js?`);
  const wasActive = ext.isActive;
  const t0 = performance.now();
  const api = await ext.activate();
  const activateMs = performance.now() - t0;
  assert.ok(api && typeof api.refresh === 'function', `activate() of ${EXTENSION_ID} returned no test API (got ${typeof api})`);
  activated = { api, activateMs, wasActive };
  return activated;
}

export async function extensionApi(): Promise<EspFlasherApi> {
  return (await activateExtension()).api;
}
