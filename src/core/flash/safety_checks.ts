/**
 * Refusals before anything is written (esp-serial-protocol.md §4.2 plus the lessons of §12).
 * Each check is a pure function returning a message a person can act on, or undefined.
 * `overridable` marks the refusals esptool lets --force (--ignore-flash-enc-efuse) override;
 * the others cannot be forced. Nothing here ever writes eFuses.
 */
import { chipByImageId, type ChipFacts } from '../chips';
import { hostKeyWriteCheck } from '../crypto/host_key_check';
import { parseImage } from '../formats/image_parse';
import type { DeviceSecurity } from '../protocol/device_security';
import type { WriteSegment, FlashRefusal } from './api';

export interface SafetyContext {
  chip: ChipFacts;
  security: DeviceSecurity;
  /** The flasher stub is running (otherwise the ROM loader writes). */
  stub: boolean;
  /** Why the stub was wanted but did not start (the ROM loader writes instead). */
  stubFailure?: string;
  /** Flash size in bytes, when known (detected or set). */
  flashSize?: number;
  /** A host key (file or directory) was given. */
  hostKeyGiven: boolean;
  /** ESP32 FLASH_CRYPT_CONFIG the host-key ciphertext is computed for (default 0xF). */
  hostFlashCryptConfig?: number;
}

export type Refusal = FlashRefusal;

const hex = (n: number) => `0x${n.toString(16)}`;
const where = (s: WriteSegment) => `segment "${s.name}" at ${hex(s.offset)}`;
const FORCE = ' (--force overrides this check.)';

/** The chip has no flash encryption at all (ESP8266). */
export function checkChipCanEncrypt(s: WriteSegment, ctx: SafetyContext): string | undefined {
  if (s.encrypt === 'off' || ctx.chip.cryptScheme !== 'none') return undefined;
  return `${ctx.chip.displayName} has no flash encryption: ${where(s)} cannot be written encrypted. Turn encryption off for it.`;
}

/** ESP32 ROM without the stub writes plaintext while the host meant to encrypt (§4.2 rule 2, §12). */
export function checkLoaderCanEncrypt(s: WriteSegment, ctx: SafetyContext): string | undefined {
  if (s.encrypt !== 'device' || ctx.stub || ctx.chip.romEncryptedFlag || ctx.chip.cryptScheme === 'none') return undefined;
  if (ctx.stubFailure) {
    return (
      `Refusing ${where(s)}: the flasher stub did not start, and the ${ctx.chip.displayName} ROM loader cannot encrypt while writing — it would silently write plaintext. ` +
      `Use host encryption with the key file (--encrypt-key), or get the stub running (another --stub-dir, or power-cycle the chip into download mode). The stub's failure: ${ctx.stubFailure}`
    );
  }
  return (
    `Refusing ${where(s)}: the ${ctx.chip.displayName} ROM loader cannot encrypt while writing — it would silently write plaintext. ` +
    `Flash with the stub (do not pass --no-stub), or use host encryption with the key file.`
  );
}

/** Release mode: manual encryption in download mode is disabled in eFuse (§4.2 rule 3a). */
export function checkDownloadEncryptAllowed(s: WriteSegment, ctx: SafetyContext): string | undefined {
  if (s.encrypt !== 'device' || ctx.security.downloadEncryptDisabled !== true) return undefined;
  return (
    `Refusing ${where(s)}: this ${ctx.chip.displayName} has encryption in UART download mode disabled (flash encryption Release mode), ` +
    `so the chip cannot encrypt what it receives. Use host encryption with the device's key (encrypt 'host', --encrypt-key FILE), or write it plain if it is not an encrypted partition.`
  );
}

/** No flash-encryption key programmed (§4.2 rule 3c). Overridable. */
export function checkKeyPresent(s: WriteSegment, ctx: SafetyContext): string | undefined {
  if (s.encrypt !== 'device' || ctx.security.keyPresent !== false) return undefined;
  return (
    `Refusing ${where(s)}: no flash-encryption key is programmed in this ${ctx.chip.displayName}'s eFuses, so an encrypted write cannot produce anything the chip can read. ` +
    `Enable flash encryption (the bootloader generates the key on first boot) or write the segment plain.` +
    FORCE
  );
}

/** ESP32: FLASH_CRYPT_CONFIG must be 0xF for encrypted writes (§4.2 rule 3b). Overridable. */
export function checkFlashCryptConfig(s: WriteSegment, ctx: SafetyContext): string | undefined {
  const conf = ctx.security.flashCryptConfig;
  if (s.encrypt !== 'device' || conf === undefined || conf === 0xf) return undefined;
  return (
    `Refusing ${where(s)}: FLASH_CRYPT_CONFIG is 0x${conf.toString(16)} in this ${ctx.chip.displayName}'s eFuses (0xF is needed for encrypted writes). ` +
    `Check the device's flash-encryption set-up (espefuse summary).` +
    FORCE
  );
}

/** Encryption not enabled (crypt counter even): data written encrypted is not readable by the boot chain. Overridable. */
export function checkEncryptionEnabled(s: WriteSegment, ctx: SafetyContext): string | undefined {
  if (s.encrypt !== 'device' || ctx.security.flashEncryptionEnabled) return undefined;
  return (
    `Refusing ${where(s)}: flash encryption is not enabled on this ${ctx.chip.displayName} (crypt counter 0b${ctx.security.cryptCounter.toString(2)} has an even number of 1 bits), ` +
    `so the boot chain would read the encrypted data as garbage. Write it plain, or enable flash encryption first.` +
    FORCE
  );
}

/** Encrypted segments must start on the chip's alignment (32 bytes ESP32, 16 others; §4.2 rule 4). Not overridable. */
export function checkEncryptedAlignment(s: WriteSegment, ctx: SafetyContext): string | undefined {
  const align = ctx.chip.encryptedWriteAlign;
  if (s.encrypt === 'off' || align === 0 || s.offset % align === 0) return undefined;
  return (
    `Refusing ${where(s)}: an encrypted segment must start at a multiple of ${align} bytes on ${ctx.chip.displayName}. ` +
    `Move it to ${hex(s.offset - (s.offset % align))} or ${hex(s.offset - (s.offset % align) + align)}, or write it plain.`
  );
}

/** Contents the boot chain reads through the decryption engine: bootloader, app image, partition table. */
function looksLikeBootData(s: WriteSegment, ctx: SafetyContext): boolean {
  if (s.offset === ctx.chip.bootloaderOffset) return true;
  const b = s.bytes;
  if (b.length >= 24 && b[0] === 0xe9) return true; // app or bootloader image
  if (b.length >= 2 && b[0] === 0xaa && b[1] === 0x50) return true; // partition table
  return false;
}

/**
 * Does this plaintext belong where the chip expects ciphertext? Development mode: what the build
 * marks encrypted, and boot data whatever the build says. Release mode (esptool refuses every plain write there): only a
 * segment the build explicitly writes plain (nvs, SPIFFS storage) that is not boot data passes.
 */
function plaintextIsDangerous(s: WriteSegment, ctx: SafetyContext, releaseLike: boolean): boolean {
  if (releaseLike) return s.encryptedInBuild !== false || looksLikeBootData(s, ctx);
  // Boot data is read through the decryption engine whatever the build says (a build without
  // flash encryption marks it plain, and would not boot on this device).
  return s.encryptedInBuild === true || looksLikeBootData(s, ctx);
}

/** Plaintext onto a device whose flash is encrypted (§4.2 "without encryption"; §12). Overridable. */
export function checkPlaintextOnEncryptedDevice(s: WriteSegment, ctx: SafetyContext): string | undefined {
  const sec = ctx.security;
  if (s.encrypt !== 'off' || !sec.flashEncryptionEnabled) return undefined;
  const releaseLike = sec.downloadEncryptDisabled === true || sec.secureDownloadMode;
  if (!plaintextIsDangerous(s, ctx, releaseLike)) return undefined;
  const how = releaseLike
    ? 'Release-mode flash encryption is on, so every image in flash must be ciphertext'
    : 'flash encryption is on and this segment is one the chip reads encrypted';
  return (
    `Refusing to write ${where(s)} as plaintext: ${how}; a plaintext image there will not boot (the device may be bricked until reflashed). ` +
    `Write it encrypted (encrypt 'device' in Development mode, or 'host' with the key), or turn encryption on for this segment.` +
    FORCE
  );
}

/** The segment must fit in the flash (esptool: "will not fit"). Not overridable. */
export function checkFitsFlash(s: WriteSegment, ctx: SafetyContext): string | undefined {
  const size = ctx.flashSize;
  // What is written is padded: to 4 bytes plain, to the chip's alignment when encrypted.
  const unit = s.encrypt === 'off' ? 4 : Math.max(4, ctx.chip.encryptedWriteAlign);
  const end = s.offset + Math.ceil(s.bytes.length / unit) * unit;
  if (size === undefined || end <= size) return undefined;
  return (
    `Refusing ${where(s)}: it is ${s.bytes.length} bytes and ends at ${hex(end)} once padded, beyond the ${size / 1048576} MB flash (ends at ${hex(size)}). ` +
    `Use a smaller image, move the segment, or set the right flash size.`
  );
}

/** An image built for another chip (§4.2 last paragraph). Overridable. */
export function checkImageChip(s: WriteSegment, ctx: SafetyContext): string | undefined {
  const id = ctx.chip.imageChipId;
  if (id === undefined || s.bytes.length < 24 || s.bytes[0] !== 0xe9) return undefined;
  const info = parseImage(s.bytes).info;
  if (!info || info.segments.length !== info.segmentCount || info.chipId === undefined || info.chipId === id) return undefined;
  const other = chipByImageId(info.chipId);
  return (
    `Refusing ${where(s)}: the image is built for ${other ? other.displayName : `chip id ${info.chipId}`}, but the connected chip is ${ctx.chip.displayName} (chip id ${id}). ` +
    `Build for ${ctx.chip.displayName} or pick the right build folder.` +
    FORCE
  );
}

/** Host encryption needs a key, and must suit the device (src/core/crypto/host_key_check.ts). */
export function checkHostEncryption(s: WriteSegment, ctx: SafetyContext, force: boolean): { message: string; overridable: boolean } | undefined {
  if (s.encrypt !== 'host') return undefined;
  if (!ctx.hostKeyGiven) {
    return {
      message: `Refusing ${where(s)}: it is to be encrypted on the host, but no key was given. Give the flash-encryption key file (--encrypt-key FILE) or a per-device key directory (--encrypt-key-dir DIR).`,
      overridable: false,
    };
  }
  const msg = hostKeyWriteCheck(
    { chip: ctx.chip.name, flashEncryption: ctx.security.mode, cryptCounter: ctx.security.cryptCounter, flashCryptConfig: ctx.security.flashCryptConfig },
    force,
    { flashCryptConfig: ctx.hostFlashCryptConfig },
  );
  return msg ? { message: `${where(s)}: ${msg}`, overridable: false } : undefined;
}

type Check = (s: WriteSegment, ctx: SafetyContext) => string | undefined;

const CHECKS: { check: Check; overridable: boolean }[] = [
  { check: checkChipCanEncrypt, overridable: false },
  { check: checkLoaderCanEncrypt, overridable: false },
  { check: checkDownloadEncryptAllowed, overridable: false },
  { check: checkEncryptedAlignment, overridable: false },
  { check: checkFitsFlash, overridable: false },
  { check: checkKeyPresent, overridable: true },
  { check: checkFlashCryptConfig, overridable: true },
  { check: checkEncryptionEnabled, overridable: true },
  { check: checkPlaintextOnEncryptedDevice, overridable: true },
  { check: checkImageChip, overridable: true },
];

/**
 * Every refusal for these segments. With `force`, overridable refusals are dropped (the caller
 * should report them as warnings: they are returned in `overridden`).
 */
export function safetyRefusals(segments: WriteSegment[], ctx: SafetyContext, force: boolean): { refusals: Refusal[]; overridden: Refusal[] } {
  const refusals: Refusal[] = [];
  const overridden: Refusal[] = [];
  for (const s of segments) {
    for (const { check, overridable } of CHECKS) {
      const message = check(s, ctx);
      if (!message) continue;
      const r = { segment: s.name, offset: s.offset, message, overridable };
      (overridable && force ? overridden : refusals).push(r);
    }
    const host = checkHostEncryption(s, ctx, force);
    if (host) refusals.push({ segment: s.name, offset: s.offset, message: host.message, overridable: host.overridable });
  }
  return { refusals, overridden };
}
