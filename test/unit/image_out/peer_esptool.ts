/**
 * esptool 4.12 / espsecure from ../shared/peers, run with Debian's python3 as a REFERENCE for
 * the byte-for-byte tests (never a dependency of the product). When it or its Python packages
 * are missing, the tests that need it say so and skip.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

export const SHARED = path.resolve(__dirname, '../../..', '../shared');
export const PEER = path.join(SHARED, 'peers', 'esptool-4.12.0');
const PYTHON = '/usr/bin/python3';

let checked: string | undefined | null = null;

/** Why the peer cannot run here, or undefined when it can. */
export function peerMissing(): string | undefined {
  if (checked !== null) return checked;
  if (!existsSync(path.join(PEER, 'esptool.py'))) checked = `${PEER} not present`;
  else if (!existsSync(PYTHON)) checked = `${PYTHON} not present`;
  else {
    const r = spawnSync(PYTHON, ['-c', 'import cryptography, ecdsa, intelhex, serial, bitstring, yaml'], { encoding: 'utf8' });
    checked =
      r.status === 0
        ? undefined
        : `esptool's Python packages are missing (${(r.stderr || '').trim().split('\n').pop()}); apt-get install -y python3-serial python3-cryptography python3-ecdsa python3-bitstring python3-intelhex python3-yaml`;
  }
  return checked;
}

/** Run esptool.py or espsecure.py from the peer folder; throws with its output when it fails. */
export function runPeer(script: 'esptool.py' | 'espsecure.py', args: string[], cwd?: string): string {
  const r = spawnSync(PYTHON, [path.join(PEER, script), ...args], { encoding: 'utf8', cwd, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${script} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** it() that runs only when the peer can, and otherwise logs why it skipped. */
export function itWithPeer(title: string, fn: () => void | Promise<void>): void {
  it(title, async function () {
    const missing = peerMissing();
    if (missing) {
      console.log(`      esptool 4.12 peer unavailable (${missing}): skipped "${title}"`);
      this.skip();
    }
    this.timeout(120_000);
    await fn();
  });
}
