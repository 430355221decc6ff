/**
 * Every chip family through the real serialport binding over a pseudo-terminal into the virtual
 * chip: a real plan from the corpus (or generated images), written compressed through the stub,
 * plain through the ROM, and device-encrypted; flash compared byte for byte (decrypted with the
 * chip's key where encrypted).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chipFacts, type ChipName } from '../../src/core/chips';
import type { WriteSegment } from '../../src/core/flash/api';
import { segmentsFromPlan } from '../../src/core/flash/segments_from_plan';
import { parseImage } from '../../src/core/formats/image_parse';
import type { FlashPlan } from '../../src/core/plan/flash_plan';
import type { VirtualChip } from '../../src/sim/virtual_chip';
import { eventText, flashVirtual, methods, planFor } from './flash_helpers';

const CHIPS: ChipName[] = ['esp32', 'esp32s2', 'esp32s3', 'esp32c3', 'esp32c6', 'esp32h2', 'esp32p4'];

/** Bootloader header bytes 2–3 the settings ask for (independent of the flasher's code). */
function expectedHeader(chip: ChipName, plan: FlashPlan, original: Uint8Array, flashSize: number): [number, number] {
  const s = plan.settings;
  const mode = s.mode === 'keep' ? original[2] : ['qio', 'qout', 'dio', 'dout'].indexOf(s.mode);
  const sizes: Record<string, number> = { '1MB': 0, '2MB': 1, '4MB': 2, '8MB': 3, '16MB': 4 };
  const size = s.size === 'keep' ? original[3] >> 4 : s.size === 'detect' ? sizes[`${flashSize / 1048576}MB`] : sizes[s.size];
  const freq = s.freq === 'keep' ? original[3] & 15 : chipFacts(chip).flashFreq[s.freq];
  return [mode, (size << 4) | freq];
}

/** Compare flash with what was asked for; the bootloader header may be patched (§6.2). */
function assertFlashHolds(chip: VirtualChip, name: ChipName, plan: FlashPlan, segments: WriteSegment[], read: (off: number, len: number) => Uint8Array): void {
  for (const s of segments) {
    const got = Buffer.from(read(s.offset, s.bytes.length));
    if (s.offset === chipFacts(name).bootloaderOffset && s.bytes[0] === 0xe9) {
      const info = parseImage(got, { chip: name }).info!;
      assert.equal(info.checksum.ok, true, `${s.name}: checksum`);
      if (info.hashAppended) assert.equal(info.sha256?.ok, true, `${s.name}: SHA-256 recomputed`);
      assert.deepEqual([got[2], got[3]], expectedHeader(name, plan, s.bytes, chip.flashSize), `${s.name}: header bytes 2–3`);
      const digestAt = info.hashAppended ? info.imageLength - 32 : got.length;
      assert.ok(got.subarray(4, digestAt).equals(Buffer.from(s.bytes.subarray(4, digestAt))), `${s.name}: bytes after the header`);
      assert.ok(got.subarray(0, 2).equals(Buffer.from(s.bytes.subarray(0, 2))));
    } else {
      assert.ok(got.equals(Buffer.from(s.bytes)), `segment ${s.name} at 0x${s.offset.toString(16)} differs`);
    }
  }
}

/** esptool 4.12's legacy stub set (v1.11.1), when ../shared is present. */
const LEGACY_SET = path.resolve(__dirname, '../../../shared/qemu/stubs-esptool-4.12/1');
const haveLegacy = fs.existsSync(LEGACY_SET);
const FLAG = 'FLASH_BEGIN encrypted flag';
const BUNDLED = 'esp-flasher-stub v1\\.2\\.2';
const LEGACY = haveLegacy ? 'esptool-legacy-flasher-stub v1\\.11\\.1' : BUNDLED;
/** The legacy stub v1.11.1 writes compressed + encrypted (stub_capabilities.ts); the bundled stub sends plain data with the flag. */
const LEGACY_METHOD = haveLegacy ? new RegExp(`device-encrypted, compressed \\(${LEGACY}\\)`) : new RegExp(`device-encrypted \\(${BUNDLED}, ${FLAG}\\)`);

/** Device-encrypted flavour per chip, to cover the ROM, the bundled stub and (with ../shared) esptool 4.12's legacy stub. */
const ENCRYPTED_PATH: Record<string, { stub: boolean; stubDir?: string; label: string; method: RegExp }> = {
  esp32: { stub: true, stubDir: haveLegacy ? LEGACY_SET : undefined, label: 'legacy stub set', method: LEGACY_METHOD },
  esp32s2: { stub: false, label: 'ROM', method: /device-encrypted \(ROM, FLASH_BEGIN encrypted flag\)/ },
  esp32s3: { stub: true, label: 'bundled stub', method: new RegExp(`device-encrypted \\(${BUNDLED}, ${FLAG}\\)`) },
  esp32c3: { stub: false, label: 'ROM', method: /device-encrypted \(ROM, FLASH_BEGIN encrypted flag\)/ },
  esp32c6: { stub: true, stubDir: haveLegacy ? LEGACY_SET : undefined, label: 'legacy stub set', method: LEGACY_METHOD },
  esp32h2: { stub: true, label: 'bundled stub', method: new RegExp(`device-encrypted \\(${BUNDLED}, ${FLAG}\\)`) },
  esp32p4: { stub: false, label: 'ROM', method: /device-encrypted \(ROM, FLASH_BEGIN encrypted flag\)/ },
};

describe('flashing every chip family through a pseudo-terminal', function () {
  this.timeout(60_000);

  for (const name of CHIPS) {
    describe(chipFacts(name).displayName, () => {
      it('compressed through the bundled stub (esp-flasher-stub v1.2.2): flash matches, every segment verified', async () => {
        const { plan } = await planFor(name);
        const segs = segmentsFromPlan(plan, 'plain', 'device');
        const run = await flashVirtual(`virtual:${name}`, segs, { settings: plan.settings });
        try {
          assert.equal(run.result.ok, true, `${run.result.error}\n${eventText(run.events)}`);
          assert.ok(
            methods(run.events).some((m) => /compressed \(esp-flasher-stub v1\.2\.2\)/.test(m)),
            methods(run.events).join('\n'),
          );
          // Each segment is verified after writing, or skipped because flash already held it (otadata: all 0xFF).
          assert.equal(run.events.filter((e) => e.kind === 'verified' || e.kind === 'skipped').length, segs.length);
          assert.ok(run.result.segments.every((r) => r.verified));
          assert.ok(run.result.wireBytesOut > 0 && run.result.wireBytesIn > 0);
          assertFlashHolds(run.chip, name, plan, segs, (o, l) => run.chip.readFlash(o, l));
        } finally {
          run.chip.close();
        }
      });

      it('plain, uncompressed, through the ROM loader (--no-stub): flash matches', async () => {
        const { plan } = await planFor(name);
        const segs = segmentsFromPlan(plan, 'plain', 'device');
        const run = await flashVirtual(`virtual:${name}`, segs, { settings: plan.settings, stub: false, compress: false });
        try {
          assert.equal(run.result.ok, true, `${run.result.error}\n${eventText(run.events)}`);
          assert.ok(
            methods(run.events).every((m) => /plain \(ROM\)/.test(m)),
            methods(run.events).join('\n'),
          );
          assert.ok(run.events.some((e) => e.kind === 'stub' && !e.running));
          assertFlashHolds(run.chip, name, plan, segs, (o, l) => run.chip.readFlash(o, l));
        } finally {
          run.chip.close();
        }
      });

      const how = ENCRYPTED_PATH[name];
      it(`device-encrypted (${how.label}): ciphertext in flash decrypts to the images`, async () => {
        const { plan } = await planFor(name, true);
        // Builds without flash encryption mark nothing; encrypt what IDF would (not data partitions).
        const overrides = Object.fromEntries(plan.segments.map((s) => [s.name, s.encrypt || ['bootloader', 'partition-table', 'app', 'otadata'].includes(s.name)]));
        const segs = segmentsFromPlan(plan, 'encrypted', 'device', overrides);
        const run = await flashVirtual(`virtual:${name}:encryption=development`, segs, {
          settings: plan.settings,
          stub: how.stub,
          ...(how.stubDir ? { stubDir: how.stubDir } : {}),
        });
        try {
          assert.equal(run.result.ok, true, `${run.result.error}\n${eventText(run.events)}`);
          const enc = segs.filter((s) => s.encrypt === 'device');
          const plain = segs.filter((s) => s.encrypt === 'off');
          assert.ok(enc.length >= 2);
          for (const s of enc)
            assert.match(
              methods(run.events).find((m) => m.startsWith(`${s.name}:`))!,
              how.method,
            );
          const raw = Buffer.from(run.chip.readFlash(enc[enc.length - 1].offset, 64));
          assert.ok(!raw.equals(Buffer.from(enc[enc.length - 1].bytes.subarray(0, 64))), 'flash holds ciphertext, not plaintext');
          assertFlashHolds(run.chip, name, plan, enc, (o, l) => run.chip.decryptFlash(o, l));
          assertFlashHolds(run.chip, name, plan, plain, (o, l) => run.chip.readFlash(o, l));
        } finally {
          run.chip.close();
        }
      });
    });
  }
});
