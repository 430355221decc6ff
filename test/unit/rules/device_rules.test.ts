import { strict as assert } from 'node:assert';
import { chipFacts, type ChipName } from '../../../src/core/chips';
import type { WriteSegment } from '../../../src/core/flash/api';
import { safetyRefusals, type SafetyContext } from '../../../src/core/rules/device_rules';
import type { DeviceSecurity } from '../../../src/core/protocol/device_security';
import { makePartition } from '../../../src/core/formats/partition_table';
import type { FlashLayout } from '../../../src/core/rules/encrypted_regions';

const dev = (p: Partial<DeviceSecurity> = {}): DeviceSecurity => ({
  cryptCounter: 1,
  flashEncryptionEnabled: true,
  downloadEncryptDisabled: false,
  secureBoot: false,
  keyPresent: true,
  secureDownloadMode: false,
  mode: 'development',
  source: 'efuse',
  ...p,
});

const ctx = (chip: ChipName, p: Partial<SafetyContext> = {}, sec: Partial<DeviceSecurity> = {}): SafetyContext => ({
  chip: chipFacts(chip),
  security: dev(sec),
  stub: true,
  flashSize: 4 * 1024 * 1024,
  hostKeyGiven: false,
  ...p,
});

const seg = (p: Partial<WriteSegment> = {}): WriteSegment => ({ name: 'app', offset: 0x10000, bytes: new Uint8Array(0x100).fill(0x5a), encrypt: 'device', ...p });

/** An image header (magic E9, 1 segment) for chip id `id`. */
function image(id: number): Uint8Array {
  const b = new Uint8Array(64).fill(0);
  b[0] = 0xe9;
  b[1] = 1;
  b[12] = id & 0xff;
  b[13] = id >> 8;
  b.set([0, 0, 0, 0x3f, 8, 0, 0, 0], 24); // segment: addr 0x3f000000, len 8
  return b;
}

/** The one refusal (the sector-alignment rule set aside where a test places a segment off a sector boundary on purpose). */
function only(r: ReturnType<typeof safetyRefusals>, aside: string[] = []) {
  r = { ...r, refusals: r.refusals.filter((x) => !aside.includes(x.code)) };
  assert.equal(r.refusals.length, 1, r.refusals.map((x) => x.message).join('\n'));
  return r.refusals[0];
}

describe('safety checks: one refusal each, with a message a person can act on', () => {
  it('allows a sound device-encrypted write (no refusal)', () => {
    assert.deepEqual(safetyRefusals([seg()], ctx('esp32c3'), false).refusals, []);
  });

  it('ESP32 ROM without the stub + device encryption: refuses (the ROM would write plaintext)', () => {
    const r = only(safetyRefusals([seg()], ctx('esp32', { stub: false }), true));
    assert.equal(r.overridable, false);
    assert.match(r.message, /segment "app" at 0x10000: the ESP32 ROM loader cannot encrypt while writing — it would silently write plaintext\. Flash with the stub/);
  });

  it('ESP8266: no flash encryption', () => {
    const r = safetyRefusals([seg()], ctx('esp8266'), false).refusals;
    assert.match(r[0].message, /ESP8266 has no flash encryption: segment "app" at 0x10000 cannot be written encrypted/);
  });

  it('release mode (download encryption disabled): refuses device encryption, even with force', () => {
    const r = only(safetyRefusals([seg()], ctx('esp32c3', {}, { downloadEncryptDisabled: true, mode: 'release' }), true));
    assert.match(r.message, /encryption in UART download mode disabled \(flash encryption Release mode\).*Use host encryption/);
  });

  it('no key programmed: refuses unless forced', () => {
    const r = only(safetyRefusals([seg()], ctx('esp32s3', {}, { keyPresent: false }), false));
    assert.equal(r.overridable, true);
    assert.match(r.message, /no flash-encryption key is programmed in this ESP32-S3's eFuses/);
    assert.equal(r.code, 'no-flash-key');
    assert.doesNotMatch(r.message, /--force/, 'core messages carry no CLI flag names');
    const f = safetyRefusals([seg()], ctx('esp32s3', {}, { keyPresent: false }), true);
    assert.equal(f.refusals.length, 0);
    assert.equal(f.overridden.length, 1);
  });

  it('ESP32 FLASH_CRYPT_CONFIG other than 0xF: refuses unless forced', () => {
    const r = only(safetyRefusals([seg()], ctx('esp32', {}, { flashCryptConfig: 0x3 }), false));
    assert.match(r.message, /FLASH_CRYPT_CONFIG is 0x3 in this ESP32's eFuses \(0xF is needed/);
  });

  it('encryption not enabled: refuses device encryption unless forced', () => {
    const r = only(safetyRefusals([seg()], ctx('esp32c6', {}, { flashEncryptionEnabled: false, cryptCounter: 0b11, mode: 'off' }), false));
    assert.match(r.message, /flash encryption is not enabled on this ESP32-C6 \(crypt counter 0b11 has an even number of 1 bits\)/);
  });

  it('misaligned encrypted segment: refuses with the nearest aligned offsets, not forceable', () => {
    const r = only(safetyRefusals([seg({ offset: 0x10010 })], ctx('esp32'), true), ['unaligned-offset']);
    assert.equal(r.overridable, false);
    assert.match(r.message, /segment "app" at 0x10010: an encrypted segment must start at a multiple of 32 bytes on ESP32\. Move it to 0x10000 or 0x10020/);
    assert.deepEqual(
      safetyRefusals([seg({ offset: 0x10010 })], ctx('esp32c3'), false).refusals.map((x) => x.code),
      ['unaligned-offset'],
    );
  });

  // The region rule: the plan's table (factory app at 0x10000, nvs at 0x9000, storage at 0x110000).
  const table: FlashLayout = {
    partitions: [
      makePartition('nvs', 1, 0x02, 0x9000, 0x6000, 0),
      makePartition('factory', 0, 0x00, 0x10000, 0x100000, 0),
      makePartition('storage', 1, 0x82, 0x110000, 0x10000, 0),
      makePartition('secret', 1, 0x82, 0x120000, 0x10000, 1),
    ],
    tableOffset: 0x8000,
    source: "the plan's partition table",
  };

  it('plaintext into an app partition of an encrypted device: refused by region whatever the bytes are (ELF, damaged image, random data)', () => {
    for (const bytes of [new Uint8Array(0x100).fill(0x7f), image(5).map((b, i) => (i === 0 ? 0xe8 : b))]) {
      const r = only(safetyRefusals([seg({ encrypt: 'off', bytes })], ctx('esp32c6', { layout: table }), false));
      assert.equal(r.code, 'plaintext-in-encrypted-region');
      assert.equal(r.overridable, true);
      assert.match(
        r.reason,
        /Refusing to write segment "app" at 0x10000 as plaintext: flash encryption is on \(Development mode\) on this ESP32-C6 and partition factory \(app\/factory, encrypted by default/,
      );
    }
    assert.equal(safetyRefusals([seg({ encrypt: 'off' })], ctx('esp32c6', { layout: table }), true).refusals.length, 0, 'forced');
  });

  it('plaintext into the partition-table sector, the bootloader area and a partition flagged encrypted: refused', () => {
    const c = ctx('esp32c3', { layout: table });
    assert.match(only(safetyRefusals([seg({ name: 'pt', offset: 0x8000, encrypt: 'off' })], c, false)).reason, /the partition-table sector 0x8000–0x9000/);
    assert.match(only(safetyRefusals([seg({ name: 'bootloader', offset: 0x0, encrypt: 'off', encryptedInBuild: false })], c, false)).reason, /the bootloader area 0x0–0x8000/);
    assert.match(only(safetyRefusals([seg({ name: 'secret', offset: 0x120000, encrypt: 'off' })], c, false)).reason, /partition secret \(flagged encrypted/);
  });

  it('plaintext into nvs or storage (not encrypted by default): allowed in development and release mode', () => {
    assert.deepEqual(safetyRefusals([seg({ name: 'nvs', offset: 0x9000, encrypt: 'off' })], ctx('esp32c3', { layout: table }), false).refusals, []);
    const release = ctx('esp32c3', { layout: table }, { downloadEncryptDisabled: true, mode: 'release' });
    assert.deepEqual(safetyRefusals([seg({ name: 'storage', offset: 0x110000, encrypt: 'off' })], release, false).refusals, []);
    // …unless the build itself marks it encrypted.
    assert.equal(safetyRefusals([seg({ name: 'storage', offset: 0x110000, encrypt: 'off', encryptedInBuild: true })], release, false).refusals.length, 1);
  });

  it('no partition table known: plaintext beyond the table sector is refused, saying why the region is unknown', () => {
    const r = only(
      safetyRefusals(
        [seg({ name: 'storage', offset: 0x110000, encrypt: 'off' })],
        ctx('esp32c3', { layout: { tableOffset: 0x8000, source: 'x', unknownWhy: 'the device has no partition table at 0x8000 (blank flash)' } }),
        false,
      ),
    );
    assert.match(r.reason, /no partition table says what lies \(the device has no partition table at 0x8000 \(blank flash\)\)/);
    // Encryption off on the device: no region rule.
    assert.deepEqual(safetyRefusals([seg({ encrypt: 'off' })], ctx('esp32c3', {}, { flashEncryptionEnabled: false, mode: 'off' }), false).refusals, []);
  });

  it('image larger than the flash: refuses, not forceable', () => {
    const r = only(
      safetyRefusals([seg({ encrypt: 'off', offset: 0x3f0000, bytes: new Uint8Array(0x20000) })], ctx('esp32c3', {}, { flashEncryptionEnabled: false, mode: 'off' }), true),
    );
    assert.match(r.message, /segment "app" at 0x3f0000: it is 131072 bytes and ends at 0x410000 once padded, beyond the 4 MB flash \(ends at 0x400000\)/);
    // Padding counts: 3 bytes ending exactly at the end of flash are written as 4.
    const off = ctx('esp32c3', {}, { flashEncryptionEnabled: false, mode: 'off' });
    const tail = only(safetyRefusals([seg({ encrypt: 'off', offset: 0x3ffffd, bytes: new Uint8Array(3) })], off, false), ['unaligned-offset']);
    assert.match(tail.message, /ends at 0x400001 once padded/);
    assert.deepEqual(
      safetyRefusals([seg({ encrypt: 'off', offset: 0x3ffffc, bytes: new Uint8Array(4) })], off, false).refusals.map((x) => x.code),
      ['unaligned-offset'],
    );
  });

  it('image built for another chip: refuses unless forced', () => {
    const r = only(safetyRefusals([seg({ encrypt: 'off', bytes: image(9) })], ctx('esp32c3', {}, { flashEncryptionEnabled: false, mode: 'off' }), false));
    assert.match(r.message, /the image is built for ESP32-S3, but the connected chip is ESP32-C3 \(chip id 5\)/);
    assert.equal(safetyRefusals([seg({ encrypt: 'off', bytes: image(9) })], ctx('esp32c3', {}, { flashEncryptionEnabled: false, mode: 'off' }), true).refusals.length, 0);
  });

  it('host encryption without a key: refuses and says which option gives one', () => {
    const r = only(safetyRefusals([seg({ encrypt: 'host' })], ctx('esp32c3'), true));
    assert.match(r.message, /to be encrypted on the host, but no key was given\. Give the flash-encryption key file/);
  });

  it('host encryption onto a device with encryption off: refuses unless forced', () => {
    const r = only(safetyRefusals([seg({ encrypt: 'host' })], ctx('esp32c3', { hostKeyGiven: true }, { flashEncryptionEnabled: false, mode: 'off' }), false));
    assert.match(r.message, /segment "app" at 0x10000: Refusing to write host-encrypted data: flash encryption is not enabled/);
  });
});

describe('--flash-crypt-conf outside the ESP32 AES scheme', () => {
  it('the core refuses a FLASH_CRYPT_CONFIG for an XTS chip (not silently ignored)', () => {
    const r = only(safetyRefusals([seg({ encrypt: 'host' })], ctx('esp32c3', { hostKeyGiven: true, hostFlashCryptConfig: 3 }), true));
    assert.equal(r.overridable, false);
    assert.match(r.reason, /a FLASH_CRYPT_CONFIG \(0x3\) was given for the host key, but it belongs to the ESP32's AES scheme; ESP32-C3 uses XTS-AES/);
    assert.deepEqual(safetyRefusals([seg({ encrypt: 'host' })], ctx('esp32', { hostKeyGiven: true, hostFlashCryptConfig: 0xf }), false).refusals, []);
  });

  it('the CLI rejects it up front when the build names an XTS chip', async () => {
    const { loadFlashInputs } = await import('../../../src/cli/flash_inputs');
    const { OPTIONS } = await import('../../../src/cli/cmd_flash');
    const { Options, parseArgs } = await import('../../../src/cli/args');
    const { writeSampleIdfBuild } = await import('../../fixtures/sample_build');
    const os = await import('node:os');
    const fs = await import('node:fs');
    const path = await import('node:path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fcc-'));
    try {
      const build = await writeSampleIdfBuild(dir, { chip: 'esp32c3' });
      const o = new Options(parseArgs(['--port', 'x', '--encrypt', '--encrypt-key', 'k.bin', '--flash-crypt-conf', '0x3', build], OPTIONS, 'flash'), 'flash');
      await assert.rejects(loadFlashInputs(o, undefined), /--flash-crypt-conf is the ESP32's FLASH_CRYPT_CONFIG; esp32c3 uses XTS-AES flash encryption/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
