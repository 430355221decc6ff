/** Mocha setup (.mocharc.json "require"): tests open "virtual:<chip>" ports through the real serialport binding. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { setVirtualPortOpener } from '../src/core/transport/virtual_port_registry';
import { openVirtualPort } from '../src/sim/virtual_port_opener';

setVirtualPortOpener(openVirtualPort);

// The CLI's device cache ($XDG_CACHE_HOME/esp-flasher) goes to a folder of this test run, never
// the home folder; CLI processes the tests start inherit it.
const cacheHome = mkdtempSync(path.join(tmpdir(), 'esp-flasher-test-cache-'));
process.env.XDG_CACHE_HOME = cacheHome;
process.on('exit', () => rmSync(cacheHome, { recursive: true, force: true }));
