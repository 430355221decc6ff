/**
 * Safety checks for writing host-encrypted ciphertext (encrypt mode 'host'): pure functions
 * the flasher calls after reading the device's security state. Each returns the refusal (reason
 * and advice), or undefined when the write may go ahead.
 */
import { chipFacts, type ChipName } from '../chips';
import { DEFAULT_FLASH_CRYPT_CONFIG, hex } from './flash_cipher';

export interface HostKeyDeviceState {
  chip?: ChipName;
  /** From the crypt counter (odd ⇒ enabled) and the "manual encrypt disabled" eFuse. */
  flashEncryption: 'off' | 'development' | 'release';
  cryptCounter?: number;
  /** ESP32: FLASH_CRYPT_CONFIG read from eFuse (undefined when unknown or not ESP32). */
  flashCryptConfig?: number;
}

export interface HostKeyCheckOptions {
  /** The FLASH_CRYPT_CONFIG the ciphertext is computed with (ESP32; default 0xF). */
  flashCryptConfig?: number;
}

/**
 * Host-key writes put ciphertext in flash. Allowed when flash encryption is enabled
 * (development or release mode — in release mode it is the only way to update over serial).
 * Refused when encryption is off, unless forced: the boot ROM would read the ciphertext as
 * plaintext and the device would not boot. On ESP32 a FLASH_CRYPT_CONFIG other than the one
 * the ciphertext is computed for is refused too (the device would decrypt it to garbage).
 */
export function hostKeyWriteCheck(device: HostKeyDeviceState, force: boolean, opts?: HostKeyCheckOptions): { reason: string; advice: string } | undefined {
  const chip = device.chip ? chipFacts(device.chip) : undefined;
  const name = chip?.displayName ?? 'the device';
  if (chip && chip.cryptScheme === 'none') {
    return { reason: `${chip.displayName} has no flash encryption.`, advice: 'Write the segment with encryption off.' };
  }
  if (force) return undefined;
  if (device.flashEncryption === 'off') {
    const counter = device.cryptCounter !== undefined ? ` (crypt counter 0b${device.cryptCounter.toString(2)}, an even number of 1 bits)` : '';
    return {
      reason: `Refusing to write host-encrypted data: flash encryption is not enabled on ${name}${counter}, so the chip would run the ciphertext as plaintext and fail to boot.`,
      advice: `Enable flash encryption first, or write the segment with encryption 'off' or 'device', or force the write if you mean to enable encryption later.`,
    };
  }
  const wanted = opts?.flashCryptConfig ?? DEFAULT_FLASH_CRYPT_CONFIG;
  if (chip?.cryptScheme === 'esp32-aes' && device.flashCryptConfig !== undefined && device.flashCryptConfig !== wanted) {
    return {
      reason: `Refusing to write host-encrypted data: ${name} has FLASH_CRYPT_CONFIG ${hex(device.flashCryptConfig)} but the ciphertext would be computed for ${hex(wanted)}; the chip would decrypt it to garbage.`,
      advice: `Set the host key's flash crypt config to ${hex(device.flashCryptConfig)}, or force the write.`,
    };
  }
  return undefined;
}

/**
 * A segment written encrypted must start on the chip's encrypted-write alignment (32 bytes on
 * ESP32, 16 on the others, as esptool demands); its data is padded with 0xFF to the same
 * multiple (pass `padTo: chip.encryptedWriteAlign` to encryptFlashData/expectedCiphertextMd5).
 */
export function encryptedSegmentAlignmentCheck(chipName: ChipName, segment: { name: string; offset: number }): string | undefined {
  const chip = chipFacts(chipName);
  if (chip.cryptScheme === 'none') return `${chip.displayName} has no flash encryption: segment "${segment.name}" cannot be written encrypted.`;
  const align = chip.encryptedWriteAlign;
  if (segment.offset % align === 0) return undefined;
  return (
    `Segment "${segment.name}" at ${hex(segment.offset)} cannot be written encrypted: on ${chip.displayName} an ` +
    `encrypted segment must start at a multiple of ${align} bytes (e.g. ${hex(segment.offset - (segment.offset % align))}). ` +
    `Move it or write it with encryption off.`
  );
}
