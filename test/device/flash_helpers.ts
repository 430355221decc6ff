/** Shared helpers for the flash device tests (real serialport binding → pty → virtual chip). */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chipFacts, type ChipName } from '../../src/core/chips';
import type { FlashOptions, FlashResult, WriteSegment } from '../../src/core/flash/api';
import type { FlashEvent } from '../../src/core/flash/events';
import { flashSegments } from '../../src/core/flash/flash_job';
import { buildImage } from '../../src/core/formats/image_build';
import type { FlashPlan } from '../../src/core/plan/flash_plan';
import { readProject } from '../../src/core/project/read_project';
import { startPtyChip, type PtyChip } from '../../src/sim/pty_chip';
import type { VirtualChip, VirtualChipOptions } from '../../src/sim/virtual_chip';
import { socatInstalled } from '../unit/sim/serialport_test_transport';

/** ../shared beside the repository; read in place. */
export const SHARED = path.resolve(__dirname, '../..', '../shared');
export const corpusPresent = (): boolean => fs.existsSync(path.join(SHARED, 'corpus'));

/** Deterministic pseudo-random bytes. */
export function pseudoRandom(n: number, seed: string): Uint8Array {
  const out = new Uint8Array(n);
  for (let at = 0, i = 0; at < n; at += 32, i++)
    out.set(
      createHash('sha256')
        .update(`${seed}:${i}`)
        .digest()
        .subarray(0, Math.min(32, n - at)),
      at,
    );
  return out;
}

/** A valid app image for `chip` (one flash-mapped segment of half-compressible data). */
export function generatedImage(chip: ChipName, size: number, seed: string): Uint8Array {
  const f = chipFacts(chip);
  const data = pseudoRandom(size, seed).map((b, i) => (i % 64 < 32 ? b : 0x20));
  return buildImage([{ addr: f.drom[0] + 0x20, data }], { chip, entry: f.irom[0], flashMode: 'dio', flashSize: '4MB', flashFreq: Object.keys(f.flashFreq)[0] }).bytes;
}

let announced = false;

/**
 * A plan from the corpus (via readProject), or a generated one for chips without a corpus set
 * (or when ../shared is absent). `encrypted` prefers a build configured for flash encryption.
 */
export async function planFor(chip: ChipName, encrypted = false): Promise<{ plan: FlashPlan; source: string }> {
  const encryptedSets: Partial<Record<ChipName, string>> = { esp32: '01-esp32-idf4.4-flashenc', esp32s3: '02-esp32s3-idf5.0-flashenc-storage' };
  const sets: Partial<Record<ChipName, string>> = {
    esp32: '12-esp32-idf4.1-stub-TRUE',
    esp32s2: '06-esp32s2-ota-littlefs',
    esp32s3: '02-esp32s3-idf5.0-flashenc-storage',
    esp32c3: '11-esp32c3-storage',
    esp32c6: '09-esp32c6-ota',
    esp32h2: '08-esp32h2-48m',
  };
  const set = (encrypted && encryptedSets[chip]) || sets[chip];
  if (set && !corpusPresent() && !announced) {
    announced = true;
    console.log('      shared corpus not present: using generated images instead of real build outputs');
  }
  if (set && corpusPresent()) {
    const r = await readProject(path.join(SHARED, 'corpus', set));
    if (r.plan.segments.length) return { plan: r.plan, source: `corpus ${set}` };
  }
  const f = chipFacts(chip);
  const table = new Uint8Array(0xc00).fill(0xff);
  table.set([0xaa, 0x50, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x10, 0x00], 0);
  return {
    source: 'generated images',
    plan: {
      chip,
      settings: { mode: 'dio', size: '4MB', freq: Object.keys(f.flashFreq)[0] },
      segments: [
        { name: 'bootloader', offset: f.bootloaderOffset, bytes: generatedImage(chip, 20_000, `${chip}-boot`), encrypt: true },
        { name: 'partition-table', offset: 0x8000, bytes: table, encrypt: true },
        { name: 'app', offset: 0x10000, bytes: generatedImage(chip, 300_000, `${chip}-app`), encrypt: true },
      ],
    },
  };
}

export interface FlashRun {
  result: FlashResult;
  events: FlashEvent[];
  chip: VirtualChip;
}

/** Flash through a "virtual:" port (real serialport on a pty) and keep the virtual chip for read-back. */
export async function flashVirtual(spec: string, segments: WriteSegment[], opts: Partial<FlashOptions> = {}): Promise<FlashRun> {
  const events: FlashEvent[] = [];
  let chip: VirtualChip | undefined;
  const result = await flashSegments(segments, {
    port: spec,
    onVirtualChip: (c) => (chip = c as VirtualChip),
    onEvent: (e) => events.push(e),
    ...opts,
  });
  if (!chip) throw new Error(`no virtual chip started: ${result.error}`);
  return { result, events, chip };
}

export function methods(events: FlashEvent[]): string[] {
  return events.flatMap((e) => (e.kind === 'segment-start' ? [`${e.name}: ${e.method}`] : []));
}

export function eventText(events: FlashEvent[]): string {
  return events
    .filter((e) => e.kind !== 'progress')
    .map((e) => JSON.stringify(e))
    .join('\n');
}

/**
 * Inside a describe, before its tests: without socat the block is one pending test that says
 * which tests were skipped, and this returns true (`if (socatMissing('…')) return;`).
 */
export function socatMissing(what: string): boolean {
  if (socatInstalled()) return false;
  it('socat not installed: skipped', function () {
    console.log(`      socat not installed: ${what} skipped`);
    this.skip();
  });
  return true;
}

/** Pty virtual chips (real serialport path → socat → VirtualChip) started by the running test. */
export interface PtyChips {
  /** Start a chip for the running test; it is closed after the test. */
  start(opts: VirtualChipOptions): Promise<PtyChip>;
  /** The chip the running test started last (for helpers written beside the tests). */
  readonly pty: PtyChip;
  /** Close `x` (a port, a transport) after the running test, before the chips it was opened on. */
  closeAfter<T extends { close(): unknown }>(x: T): T;
}

/**
 * Call inside a describe: a fresh temporary folder (under the OS's temp dir, named `prefix`…)
 * made before the block's tests and removed after them; `path` is valid from the first test on.
 */
export function tempDirPerSuite(prefix: string): { readonly path: string } {
  let dir: string | undefined;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    get path() {
      if (!dir) throw new Error('tempDirPerSuite: the folder is made in a before() hook; use it inside a test');
      return dir;
    },
  };
}

/**
 * Call inside a describe: every chip a test starts with `start`, and whatever it hands to
 * `closeAfter`, is closed after that test, last opened first. The closing hook is an afterEach
 * registered here, so it runs after the block's afterEach hooks registered before this call
 * (close a monitor before the chip behind it by registering that hook first).
 */
export function ptyChipsPerTest(): PtyChips {
  let open: { close(): unknown }[] = [];
  let last: PtyChip | undefined;
  afterEach(async () => {
    const closing = open.reverse();
    open = [];
    last = undefined;
    let failed: unknown;
    for (const x of closing) {
      try {
        await x.close();
      } catch (e) {
        failed ??= e;
      }
    }
    if (failed !== undefined) throw failed;
  });
  return {
    async start(opts) {
      const pty = await startPtyChip(opts);
      open.push(pty);
      last = pty;
      return pty;
    },
    get pty() {
      if (!last) throw new Error('this test started no pty chip');
      return last;
    },
    closeAfter(x) {
      open.push(x);
      return x;
    },
  };
}
