/**
 * Shared pieces of the host-key device tests: a virtual chip behind a real pseudo-terminal
 * whose eFuses hold the same key as a key file on disk, build plans to flash onto it, and
 * read-back checks through the chip's own decryption.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ChipName } from '../../src/core/chips';
import type { FlashOptions, FlashResult, WriteSegment } from '../../src/core/flash/api';
import type { FlashEvent } from '../../src/core/flash/events';
import { flashSegments } from '../../src/core/flash/flash_job';
import { startPtyChip, type PtyChip } from '../../src/sim/pty_chip';
import { pseudoRandom } from './flash_helpers';

export const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');

/** Header patching off, so flash must decrypt to the build's files byte for byte. */
export const KEEP = { mode: 'keep', size: 'keep', freq: 'keep' } as const;

export interface HostKeyRig {
  pty: PtyChip;
  key: Uint8Array;
  keyFile: string;
  dir: string;
  close(): Promise<void>;
}

/**
 * A virtual `chip` with flash encryption `mode` and `keyLength` bytes of key in its eFuses,
 * and the same key in a file (as espsecure writes it).
 */
export async function hostKeyRig(
  chip: ChipName,
  mode: 'off' | 'development' | 'release',
  keyLength: number,
  extra: { flashSize?: number; flashCryptConfig?: number; seed?: string } = {},
): Promise<HostKeyRig> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'esp-flasher-hostkey-'));
  const key = pseudoRandom(keyLength, extra.seed ?? `${chip}-${keyLength}-key`);
  const keyFile = path.join(dir, 'flash_key.bin');
  await writeFile(keyFile, key);
  let pty: PtyChip;
  try {
    pty = await startPtyChip({
      chip,
      encryption: mode,
      ...(mode !== 'off' ? { key } : {}),
      ...(extra.flashSize ? { flashSize: extra.flashSize } : {}),
      ...(extra.flashCryptConfig !== undefined ? { flashCryptConfig: extra.flashCryptConfig } : {}),
    });
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    pty,
    key,
    keyFile,
    dir,
    close: async () => {
      await pty.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface HostKeyRun {
  result: FlashResult;
  events: FlashEvent[];
}

export async function flashWithKey(rig: HostKeyRig, segments: WriteSegment[], opts: Partial<FlashOptions> = {}): Promise<HostKeyRun> {
  const events: FlashEvent[] = [];
  const result = await flashSegments(segments, {
    port: rig.pty.path,
    hostKey: { keyFile: rig.keyFile },
    settings: { ...KEEP },
    onEvent: (e) => events.push(e),
    ...opts,
  });
  return { result, events };
}

/** Encrypted segments decrypt (through the chip's engine) to their bytes; plain ones are in flash as they are. */
export function assertFlashHolds(rig: HostKeyRig, segments: WriteSegment[]): void {
  const chip = rig.pty.chip;
  for (const s of segments) {
    if (s.encrypt === 'off') {
      assert.ok(Buffer.from(chip.readFlash(s.offset, s.bytes.length)).equals(Buffer.from(s.bytes)), `plain segment "${s.name}" at 0x${s.offset.toString(16)} differs in flash`);
      continue;
    }
    const padded = Math.ceil(s.bytes.length / 32) * 32;
    const plain = chip.decryptFlash(s.offset, padded);
    assert.ok(
      Buffer.from(plain.subarray(0, s.bytes.length)).equals(Buffer.from(s.bytes)),
      `encrypted segment "${s.name}" at 0x${s.offset.toString(16)} does not decrypt to its image`,
    );
    const raw = chip.readFlash(s.offset, s.bytes.length);
    assert.ok(!Buffer.from(raw).equals(Buffer.from(s.bytes)), `segment "${s.name}" is stored as plaintext`);
  }
}

/** The same segments with one byte of `name` flipped at `at` (default: the middle). */
export function withOneByteChanged(segments: WriteSegment[], name: string, at?: number): WriteSegment[] {
  return segments.map((s) => {
    if (s.name !== name) return s;
    const bytes = Uint8Array.from(s.bytes);
    const i = at ?? Math.floor(bytes.length / 2);
    bytes[i] ^= 0x5a;
    return { ...s, bytes };
  });
}

export function eventLines(events: FlashEvent[]): string {
  return events
    .filter((e) => e.kind !== 'progress')
    .map((e) => JSON.stringify(e))
    .join('\n');
}
