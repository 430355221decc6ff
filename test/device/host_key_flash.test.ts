/**
 * Issue 6 end to end on the device ring: builds flashed with a host-held key (the host
 * encrypts, ordinary writes carry the ciphertext) onto a virtual chip whose eFuses hold the
 * same key, in development and in release mode, through the real serialport binding and a
 * pseudo-terminal. The chip's own decryption of flash must give the build's images back; the
 * MD5 verification compares ciphertext; a second flash with one app byte changed rewrites
 * only the sector that holds it (both wire figures are printed for the record).
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ChipName } from '../../src/core/chips';
import { encryptFlashData, keyForChip } from '../../src/core/crypto/flash_crypto';
import { verifySegments } from '../../src/core/flash/device_ops';
import { segmentsFromPlan } from '../../src/core/flash/segments_from_plan';
import type { FlashPlan } from '../../src/core/plan/flash_plan';
import { readProject } from '../../src/core/project/read_project';
import { writeSampleIdfBuild } from '../fixtures/sample_build';
import { SHARED, corpusPresent } from './flash_helpers';
import { KEEP, assertFlashHolds, eventLines, flashWithKey, hostKeyRig, md5, withOneByteChanged } from './host_key_helpers';

interface Case {
  label: string;
  chip: ChipName;
  keyLength: number;
  /** A corpus set under ../shared/corpus, or a generated sample build. */
  corpus?: string;
  appSize?: number;
}

const CASES: Case[] = [
  { label: 'sample build (ESP32-C3, XTS-AES-128)', chip: 'esp32c3', keyLength: 32, appSize: 0x80000 },
  { label: 'sample build (ESP32, AES-256 scheme)', chip: 'esp32', keyLength: 32, appSize: 0x80000 },
  { label: 'corpus 02-esp32s3-idf5.0-flashenc-storage (XTS-AES-256)', chip: 'esp32s3', keyLength: 64, corpus: '02-esp32s3-idf5.0-flashenc-storage' },
  { label: 'corpus 01-esp32-idf4.4-flashenc (AES-256 scheme)', chip: 'esp32', keyLength: 32, corpus: '01-esp32-idf4.4-flashenc' },
];

async function planOf(c: Case, tmp: string): Promise<FlashPlan> {
  const dir = c.corpus
    ? path.join(SHARED, 'corpus', c.corpus)
    : await writeSampleIdfBuild(path.join(tmp, c.chip), { chip: c.chip, flashEncryption: 'development', appSize: c.appSize });
  const r = await readProject(dir);
  assert.ok(r.plan.segments.length >= 3, `no plan from ${dir}: ${JSON.stringify(r.problems)}`);
  return r.plan;
}

describe('host-key flash encryption on the virtual chip (real serialport, pty)', function () {
  this.timeout(180_000);
  let tmp: string;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'esp-flasher-hostkey-builds-'));
  });

  after(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  for (const mode of ['development', 'release'] as const) {
    for (const c of CASES) {
      if (c.corpus && !corpusPresent()) {
        it(`${c.label}, ${mode} mode`, () => {
          console.log(`      shared corpus not present: skipped ${c.corpus}`);
        });
        continue;
      }
      it(`${c.label}, ${mode} mode: decrypts to the build, verifies by ciphertext MD5, reflashes only the changed sector`, async () => {
        const plan = await planOf(c, tmp);
        const segments = segmentsFromPlan(plan, 'encrypted', 'host');
        assert.ok(
          segments.some((s) => s.encrypt === 'host'),
          'the build marks segments encrypted',
        );
        const rig = await hostKeyRig(c.chip, mode, c.keyLength);
        try {
          // First flash: everything is written (the flash is erased).
          const first = await flashWithKey(rig, segments);
          assert.equal(first.result.ok, true, `${first.result.error}\n${eventLines(first.events)}`);
          assert.ok(
            first.result.segments.every((r) => r.status === 'written' && r.verified),
            JSON.stringify(first.result.segments),
          );
          assertFlashHolds(rig, segments);

          // Verification compared ciphertext: the MD5s reported are those of the raw flash, which
          // is the key's ciphertext of the images.
          const key = keyForChip(rig.key, c.chip);
          for (const s of segments.filter((x) => x.encrypt === 'host')) {
            const ev = first.events.find((e) => e.kind === 'verified' && e.name === s.name);
            assert.ok(ev && ev.kind === 'verified', `no verified event for ${s.name}`);
            const cipher = encryptFlashData(key, s.offset, s.bytes, { padTo: c.chip === 'esp32' ? 32 : 16 });
            assert.equal(ev.md5, md5(cipher), `${s.name}: verified MD5 is not that of the ciphertext`);
            assert.equal(ev.md5, md5(rig.pty.chip.readFlash(s.offset, cipher.length)));
            assert.notEqual(ev.md5, md5(s.bytes));
          }
          const checks = await verifySegments(segments, { port: rig.pty.path, hostKey: { keyFile: rig.keyFile }, settings: { ...KEEP }, after: 'no-reset' });
          assert.deepEqual(
            checks.map((x) => [x.name, x.ok]),
            segments.map((s) => [s.name, true]),
          );

          // Second flash, one app byte changed: only its sector travels.
          const changed = withOneByteChanged(segments, 'app');
          const second = await flashWithKey(rig, changed);
          assert.equal(second.result.ok, true, `${second.result.error}\n${eventLines(second.events)}`);
          const app = second.result.segments.find((r) => r.name === 'app')!;
          assert.equal(app.status, 'written');
          assert.equal(app.verified, true);
          assert.equal(app.changedSectors, 1);
          assert.equal(app.totalSectors, Math.ceil(segments.find((s) => s.name === 'app')!.bytes.length / 0x1000));
          assert.ok(
            second.result.segments.filter((r) => r.name !== 'app').every((r) => r.status === 'skipped'),
            JSON.stringify(second.result.segments),
          );
          const done = second.events.find((e) => e.kind === 'segment-done' && e.name === 'app');
          assert.ok(done && done.kind === 'segment-done');
          assert.equal(done.bytes, 0x1000);
          assert.match(done.detail ?? '', new RegExp(`^1 of ${app.totalSectors} sectors changed$`));
          assertFlashHolds(rig, changed);

          const a = first.result.wireBytesOut;
          const b = second.result.wireBytesOut;
          console.log(`      wire bytes host→chip, ${c.label}, ${mode}: first flash ${a}, second flash (1 app byte changed) ${b} (${((100 * b) / a).toFixed(1)} %)`);
          assert.ok(b < a / 10, `the second flash sent ${b} bytes, not a small fraction of the first (${a})`);
        } finally {
          await rig.close();
        }
      });
    }
  }

  for (const variant of [
    { what: 'device-encrypted segments with the key given (the chip encrypts the changed sector)', mode: 'device' as const, stub: true },
    { what: 'host-key segments through the ROM loader (no stub: 0x400 blocks, hex MD5 replies)', mode: 'host' as const, stub: false },
  ]) {
    it(`incremental reflash of ${variant.what}`, async () => {
      const plan = await planOf({ ...CASES[0], appSize: 0x20000 }, path.join(tmp, `${variant.mode}-${variant.stub}`));
      const segments = segmentsFromPlan(plan, 'encrypted', variant.mode);
      const rig = await hostKeyRig('esp32c3', 'development', 32);
      try {
        const first = await flashWithKey(rig, segments, { stub: variant.stub });
        assert.equal(first.result.ok, true, `${first.result.error}\n${eventLines(first.events)}`);
        assert.ok(
          first.result.segments.every((r) => r.verified),
          'with the key, device-encrypted segments are verified too',
        );
        const changed = withOneByteChanged(segments, 'app');
        const second = await flashWithKey(rig, changed, { stub: variant.stub });
        assert.equal(second.result.ok, true, `${second.result.error}\n${eventLines(second.events)}`);
        const app = second.result.segments.find((r) => r.name === 'app')!;
        assert.equal(app.changedSectors, 1);
        assert.equal(app.verified, true);
        const start = second.events.find((e) => e.kind === 'segment-start' && e.name === 'app');
        assert.ok(start && start.kind === 'segment-start' && start.size === 0x1000, eventLines(second.events));
        assert.match(
          start.method,
          variant.mode === 'device'
            ? /^device-encrypted .*only the changed sectors: 1 of \d+ sectors changed, in 0x[0-9a-f]+–0x[0-9a-f]+$/
            : /^host-encrypted ciphertext, plain write \(ROM\); only the changed sectors/,
        );
        assertFlashHolds(rig, changed);
      } finally {
        await rig.close();
      }
    });
  }

  it('--no-skip (skipUnchanged: false) writes every segment whole again', async () => {
    const plan = await planOf(CASES[0], tmp);
    const segments = segmentsFromPlan(plan, 'encrypted', 'host');
    const rig = await hostKeyRig('esp32c3', 'development', 32);
    try {
      const first = await flashWithKey(rig, segments);
      assert.equal(first.result.ok, true, first.result.error);
      const again = await flashWithKey(rig, withOneByteChanged(segments, 'app'), { skipUnchanged: false });
      assert.equal(again.result.ok, true, again.result.error);
      assert.ok(again.result.segments.every((r) => r.status === 'written' && r.changedSectors === undefined));
      const app = again.events.find((e) => e.kind === 'segment-done' && e.name === 'app');
      assert.ok(app && app.kind === 'segment-done' && app.detail === undefined && app.bytes === segments.find((s) => s.name === 'app')!.bytes.length);
      assert.ok(again.result.wireBytesOut > first.result.wireBytesOut * 0.9);
    } finally {
      await rig.close();
    }
  });
});
