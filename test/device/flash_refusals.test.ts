/**
 * Every refusal through the real port and the virtual chip: the message names the segment and
 * what to do, and nothing reaches the flash.
 */
import { strict as assert } from 'node:assert';
import type { FlashOptions, WriteSegment } from '../../src/core/flash/api';
import { flashVirtual, generatedImage, pseudoRandom } from './flash_helpers';

async function refused(spec: string, segs: WriteSegment[], pattern: RegExp, opts: Partial<FlashOptions> = {}): Promise<void> {
  const run = await flashVirtual(spec, segs, opts);
  try {
    assert.equal(run.result.ok, false, 'the job must be refused');
    assert.match(run.result.error!, pattern);
    // A safety check's refusals also come as data (the VS Code face reads these, not the text).
    if (run.result.error!.startsWith('Nothing was written.')) {
      assert.ok(run.result.refusals?.length, 'the result lists its refusals');
      for (const r of run.result.refusals!) {
        assert.ok(run.result.error!.includes(r.message), `listed refusal is the one reported: ${r.message}`);
        assert.ok(
          segs.some((s) => s.name === r.segment && s.offset === r.offset),
          `refusal names a segment of the job: ${r.segment}`,
        );
      }
    }
    const failed = run.events.find((e) => e.kind === 'failed');
    assert.ok(failed && failed.kind === 'failed');
    assert.deepEqual(failed.written, []);
    assert.equal(
      run.events.some((e) => e.kind === 'segment-start'),
      false,
      'no segment may start',
    );
    for (const s of segs) {
      const len = Math.min(s.bytes.length, run.chip.flashSize - s.offset);
      if (len > 0)
        assert.ok(
          run.chip.readFlash(s.offset, len).every((b) => b === 0xff),
          `flash at 0x${s.offset.toString(16)} must stay erased`,
        );
    }
    assert.ok(run.result.segments.every((r) => r.status === 'not-written'));
  } finally {
    run.chip.close();
  }
}

const app = (p: Partial<WriteSegment> = {}): WriteSegment => ({
  name: 'app',
  offset: 0x10000,
  bytes: generatedImage(p.name === 'x' ? 'esp32' : 'esp32c3', 8000, 'r'),
  encrypt: 'device',
  ...p,
});

describe('refusals on the device (nothing is written)', function () {
  this.timeout(30_000);

  it('ESP32 ROM without the stub + device encryption (the ROM would write plaintext)', async () => {
    const seg = { name: 'app', offset: 0x10000, bytes: generatedImage('esp32', 8000, 'e'), encrypt: 'device' as const };
    await refused(
      'virtual:esp32:dev',
      [seg],
      /Nothing was written\. Refusing segment "app" at 0x10000: the ESP32 ROM loader cannot encrypt while writing — it would silently write plaintext/,
      { stub: false },
    );
  });

  it('device encryption in Release mode', async () => {
    await refused('virtual:esp32c3:release', [app()], /segment "app" at 0x10000: this ESP32-C3 has encryption in UART download mode disabled \(flash encryption Release mode\)/);
  });

  it('device encryption while flash encryption is off', async () => {
    await refused('virtual:esp32c3', [app()], /segment "app" at 0x10000: flash encryption is not enabled on this ESP32-C3/);
  });

  it('ESP32 with FLASH_CRYPT_CONFIG other than 0xF', async () => {
    const seg = { name: 'app', offset: 0x10000, bytes: generatedImage('esp32', 8000, 'e'), encrypt: 'device' as const };
    await refused('virtual:esp32:dev:cryptconfig=0x3', [seg], /FLASH_CRYPT_CONFIG is 0x3 in this ESP32's eFuses/);
  });

  it('plaintext where the encrypted chip expects ciphertext', async () => {
    await refused(
      'virtual:esp32s3:dev',
      [{ ...app({ bytes: generatedImage('esp32s3', 8000, 's3') }), encrypt: 'off', encryptedInBuild: true }],
      /Refusing to write segment "app" at 0x10000 as plaintext: flash encryption is on/,
    );
  });

  it('a misaligned encrypted segment', async () => {
    await refused(
      'virtual:esp32c3:dev',
      [app({ offset: 0x10008, bytes: pseudoRandom(64, 'm') })],
      /segment "app" at 0x10008: an encrypted segment must start at a multiple of 16 bytes on ESP32-C3\. Move it to 0x10000 or 0x10010/,
    );
  });

  it('an image larger than the flash', async () => {
    await refused(
      'virtual:esp32c3:flash=1MB',
      [app({ offset: 0xf0000, bytes: pseudoRandom(0x20000, 'big'), encrypt: 'off' })],
      /ends at 0x110000 once padded, beyond the 1 MB flash/,
    );
  });

  it('an image built for another chip', async () => {
    await refused('virtual:esp32c3', [app({ bytes: generatedImage('esp32s3', 8000, 'x'), encrypt: 'off' })], /the image is built for ESP32-S3, but the connected chip is ESP32-C3/);
  });

  it('a chip other than the one expected', async () => {
    await refused('virtual:esp32c3', [app({ encrypt: 'off' })], /The chip on virtual:esp32c3 is ESP32-C3 \(chip id 5\), but esp32s3 was expected/, { chip: 'esp32s3' });
  });

  it('host encryption without a key', async () => {
    await refused('virtual:esp32c3:dev', [app({ encrypt: 'host' })], /to be encrypted on the host, but no key was given/);
  });

  it('--force gets past an overridable refusal (image for another chip) and says so', async () => {
    const seg = app({ bytes: generatedImage('esp32s3', 8000, 'x'), encrypt: 'off' });
    const run = await flashVirtual('virtual:esp32c3', [seg], { force: true });
    try {
      assert.equal(run.result.ok, true, run.result.error);
      assert.ok(run.events.some((e) => e.kind === 'warning' && /Forced past a refusal: .*built for ESP32-S3/.test(e.message)));
      assert.deepEqual(Buffer.from(run.chip.readFlash(0x10000, seg.bytes.length)), Buffer.from(seg.bytes));
    } finally {
      run.chip.close();
    }
  });
});
