// Headless Debian chromium through playwright-core, with a fresh profile folder.
import { chromium as chromiumPath, loadPlaywright } from './tools.mjs';
import { withTimeout } from './processes.mjs';

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Opens a persistent context in `profileDir` (Playwright refuses --user-data-dir in args). */
export async function launchChromium(profileDir, { viewport = { width: 1400, height: 900 } } = {}) {
  const { chromium } = loadPlaywright();
  return chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
    timeout: 30_000,
  });
}

/** Closes the context within 5 s; if that fails, playwright-core's exit hook kills Chromium's process group. */
export async function closeChromium(context) {
  if (!context) return;
  await withTimeout(context.close(), 5000, 'chromium did not close within 5 s').catch((error) => {
    console.error(`[editor-tests] ${error.message}`);
  });
}
