/**
 * The flash job's refusals before anything is written (esp-serial-protocol.md §4.2 plus the
 * lessons of §12): the device rules (encryption capability, eFuse state, fit, chip id, host key)
 * and the layout rules of layout_rules.ts, judged with the device's facts. Each rule is a pure
 * function giving a typed finding (code, segment, offset, overridable, reason, advice); the
 * faces word the override themselves. Nothing here ever writes eFuses.
 */
import { deviceEncryptionUnavailable, type LoaderCaps } from '../flash/write_method';
import { chipByImageId, type ChipFacts } from '../chips';
import { hostKeyWriteCheck } from '../crypto/host_key_check';
import { parseImage } from '../formats/image_parse';
import type { FlashSettings } from '../plan/flash_plan';
import type { DeviceSecurity } from '../protocol/device_security';
import type { WriteSegment, FlashRefusal } from '../flash/api';
import type { FlashLayout } from './encrypted_regions';
import { layoutFindings } from './layout_rules';
import { findingText, hex, where, type RuleCode, type RuleFinding } from './rule_finding';

export interface SafetyContext {
  chip: ChipFacts;
  security: DeviceSecurity;
  /** The flasher stub is running (otherwise the ROM loader writes). */
  stub: boolean;
  /** The loader that will write, when connected (its capabilities decide device encryption; write_method.ts). */
  loader?: LoaderCaps;
  /** Why the stub was wanted but did not start (the ROM loader writes instead). */
  stubFailure?: string;
  /** Flash size in bytes, when known (detected or set). */
  flashSize?: number;
  /** A host key (file or directory) was given. */
  hostKeyGiven: boolean;
  /** ESP32 FLASH_CRYPT_CONFIG the host-key ciphertext is computed for (default 0xF). */
  hostFlashCryptConfig?: number;
  /** Flash settings patched into the bootloader header (the header-size rule judges the result). */
  settings?: FlashSettings;
  /** The partition layout (the plan's table, else the device's) for the encrypted-region rule. */
  layout?: FlashLayout;
}

export type Refusal = FlashRefusal;

type Said = { reason: string; advice: string } | undefined;

/** The chip has no flash encryption at all (ESP8266). */
export function checkChipCanEncrypt(s: WriteSegment, ctx: SafetyContext): Said {
  if (s.encrypt === 'off' || ctx.chip.cryptScheme !== 'none') return undefined;
  return { reason: `${ctx.chip.displayName} has no flash encryption: ${where(s)} cannot be written encrypted.`, advice: 'Turn encryption off for it.' };
}

/** ESP32 ROM without the stub writes plaintext while the host meant to encrypt (§4.2 rule 2, §12). */
export function checkLoaderCanEncrypt(s: WriteSegment, ctx: SafetyContext): Said {
  if (s.encrypt !== 'device' || ctx.chip.cryptScheme === 'none') return undefined;
  // The same rule the write method is chosen by (write_method.ts); without a connected loader,
  // a stub is assumed able to encrypt (every stub route in stub_capabilities.ts does).
  const why = ctx.loader ? deviceEncryptionUnavailable(ctx.loader) : ctx.stub ? undefined : deviceEncryptionUnavailable({ chip: ctx.chip, secureDownloadMode: false });
  if (!why) return undefined;
  if (ctx.stubFailure) {
    return {
      reason: `Refusing ${where(s)}: the flasher stub did not start, and ${why} (the stub's failure: ${ctx.stubFailure}).`,
      advice: 'Use host encryption with the key file, or get the stub running (another stub folder, or power-cycle the chip into download mode).',
    };
  }
  return {
    reason: `Refusing ${where(s)}: ${why}.`,
    advice: 'Flash with the stub (not the ROM loader), or use host encryption with the key file.',
  };
}

/** Release mode: manual encryption in download mode is disabled in eFuse (§4.2 rule 3a). */
export function checkDownloadEncryptAllowed(s: WriteSegment, ctx: SafetyContext): Said {
  if (s.encrypt !== 'device' || ctx.security.downloadEncryptDisabled !== true) return undefined;
  return {
    reason:
      `Refusing ${where(s)}: this ${ctx.chip.displayName} has encryption in UART download mode disabled (flash encryption Release mode), ` +
      `so the chip cannot encrypt what it receives.`,
    advice: `Use host encryption with the device's key file, or write it plain if it is not an encrypted partition.`,
  };
}

/** No flash-encryption key programmed (§4.2 rule 3c). Overridable. */
export function checkKeyPresent(s: WriteSegment, ctx: SafetyContext): Said {
  if (s.encrypt !== 'device' || ctx.security.keyPresent !== false) return undefined;
  return {
    reason: `Refusing ${where(s)}: no flash-encryption key is programmed in this ${ctx.chip.displayName}'s eFuses, so an encrypted write cannot produce anything the chip can read.`,
    advice: 'Enable flash encryption (the bootloader generates the key on first boot) or write the segment plain.',
  };
}

/** ESP32: FLASH_CRYPT_CONFIG must be 0xF for encrypted writes (§4.2 rule 3b). Overridable. */
export function checkFlashCryptConfig(s: WriteSegment, ctx: SafetyContext): Said {
  const conf = ctx.security.flashCryptConfig;
  if (s.encrypt !== 'device' || conf === undefined || conf === 0xf) return undefined;
  return {
    reason: `Refusing ${where(s)}: FLASH_CRYPT_CONFIG is 0x${conf.toString(16)} in this ${ctx.chip.displayName}'s eFuses (0xF is needed for encrypted writes).`,
    advice: `Check the device's flash-encryption set-up (espefuse summary).`,
  };
}

/** Encryption not enabled (crypt counter even): data written encrypted is not readable by the boot chain. Overridable. */
export function checkEncryptionEnabled(s: WriteSegment, ctx: SafetyContext): Said {
  if (s.encrypt !== 'device' || ctx.security.flashEncryptionEnabled) return undefined;
  return {
    reason:
      `Refusing ${where(s)}: flash encryption is not enabled on this ${ctx.chip.displayName} (crypt counter 0b${ctx.security.cryptCounter.toString(2)} has an even number of 1 bits), ` +
      `so the boot chain would read the encrypted data as garbage.`,
    advice: 'Write it plain, or enable flash encryption first.',
  };
}

/** Encrypted segments must start on the chip's alignment (32 bytes ESP32, 16 others; §4.2 rule 4). Not overridable. */
export function checkEncryptedAlignment(s: WriteSegment, ctx: SafetyContext): Said {
  const align = ctx.chip.encryptedWriteAlign;
  if (s.encrypt === 'off' || align === 0 || s.offset % align === 0) return undefined;
  return {
    reason: `Refusing ${where(s)}: an encrypted segment must start at a multiple of ${align} bytes on ${ctx.chip.displayName}.`,
    advice: `Move it to ${hex(s.offset - (s.offset % align))} or ${hex(s.offset - (s.offset % align) + align)}, or write it plain.`,
  };
}

/** The segment must fit in the flash (esptool: "will not fit"). Not overridable. */
export function checkFitsFlash(s: WriteSegment, ctx: SafetyContext): Said {
  const size = ctx.flashSize;
  // What is written is padded: to 4 bytes plain, to the chip's alignment when encrypted.
  const unit = s.encrypt === 'off' ? 4 : Math.max(4, ctx.chip.encryptedWriteAlign);
  const end = s.offset + Math.ceil(s.bytes.length / unit) * unit;
  if (size === undefined || end <= size) return undefined;
  return {
    reason: `Refusing ${where(s)}: it is ${s.bytes.length} bytes and ends at ${hex(end)} once padded, beyond the ${size / 1048576} MB flash (ends at ${hex(size)}).`,
    advice: 'Use a smaller image, move the segment, or set the right flash size.',
  };
}

/** An image built for another chip (§4.2 last paragraph). Overridable. */
export function checkImageChip(s: WriteSegment, ctx: SafetyContext): Said {
  const id = ctx.chip.imageChipId;
  if (id === undefined || s.bytes.length < 24 || s.bytes[0] !== 0xe9) return undefined;
  const info = parseImage(s.bytes).info;
  if (!info || info.segments.length !== info.segmentCount || info.chipId === undefined || info.chipId === id) return undefined;
  const other = chipByImageId(info.chipId);
  return {
    reason: `Refusing ${where(s)}: the image is built for ${other ? other.displayName : `chip id ${info.chipId}`}, but the connected chip is ${ctx.chip.displayName} (chip id ${id}).`,
    advice: `Build for ${ctx.chip.displayName} or pick the right build folder.`,
  };
}

/** Host encryption needs a key, and must suit the device (src/core/crypto/host_key_check.ts). */
export function checkHostEncryption(s: WriteSegment, ctx: SafetyContext): (NonNullable<Said> & { overridable: boolean }) | undefined {
  if (s.encrypt !== 'host') return undefined;
  if (ctx.hostFlashCryptConfig !== undefined && ctx.chip.cryptScheme !== 'esp32-aes') {
    return {
      reason: `Refusing ${where(s)}: a FLASH_CRYPT_CONFIG (0x${ctx.hostFlashCryptConfig.toString(16)}) was given for the host key, but it belongs to the ESP32's AES scheme; ${ctx.chip.displayName} uses ${ctx.chip.cryptScheme === 'none' ? 'no flash encryption' : 'XTS-AES'}, which has no such setting.`,
      advice: 'Leave the flash crypt config out for this chip.',
      overridable: false,
    };
  }
  if (!ctx.hostKeyGiven) {
    return {
      reason: `Refusing ${where(s)}: it is to be encrypted on the host, but no key was given.`,
      advice: 'Give the flash-encryption key file, or a folder of per-device keys named by MAC.',
      overridable: false,
    };
  }
  const msg = hostKeyWriteCheck(
    { chip: ctx.chip.name, flashEncryption: ctx.security.mode, cryptCounter: ctx.security.cryptCounter, flashCryptConfig: ctx.security.flashCryptConfig },
    false,
    { flashCryptConfig: ctx.hostFlashCryptConfig },
  );
  return msg ? { reason: `${where(s)}: ${msg.reason}`, advice: msg.advice, overridable: ctx.chip.cryptScheme !== 'none' } : undefined;
}

type Check = (s: WriteSegment, ctx: SafetyContext) => Said;

const CHECKS: { code: RuleCode; check: Check; overridable: boolean }[] = [
  { code: 'chip-cannot-encrypt', check: checkChipCanEncrypt, overridable: false },
  { code: 'loader-cannot-encrypt', check: checkLoaderCanEncrypt, overridable: false },
  { code: 'download-encrypt-disabled', check: checkDownloadEncryptAllowed, overridable: false },
  { code: 'encrypted-alignment', check: checkEncryptedAlignment, overridable: false },
  { code: 'beyond-flash', check: checkFitsFlash, overridable: false },
  { code: 'no-flash-key', check: checkKeyPresent, overridable: true },
  { code: 'flash-crypt-config', check: checkFlashCryptConfig, overridable: true },
  { code: 'encryption-not-enabled', check: checkEncryptionEnabled, overridable: true },
  { code: 'image-chip', check: checkImageChip, overridable: true },
];

/** A finding as the flash job reports it (message = reason + advice, for logs). */
export function refusalOf(f: RuleFinding): Refusal {
  return { code: f.code, segment: f.segment, offset: f.offset, overridable: f.overridable, reason: f.reason, advice: f.advice, message: findingText(f) };
}

/** Every finding of every rule for these segments on this device. */
export function deviceFindings(segments: WriteSegment[], ctx: SafetyContext): RuleFinding[] {
  const out: RuleFinding[] = [];
  for (const s of segments) {
    for (const { code, check, overridable } of CHECKS) {
      const said = check(s, ctx);
      if (said) out.push({ code, severity: 'refuse', segment: s.name, offset: s.offset, overridable, ...said });
    }
    const host = checkHostEncryption(s, ctx);
    if (host) out.push({ code: 'host-key', severity: 'refuse', segment: s.name, offset: s.offset, ...host });
  }
  const layout = layoutFindings(segments, {
    chip: ctx.chip,
    settings: ctx.settings,
    deviceFlashSize: ctx.flashSize,
    deviceEncryption: ctx.security.flashEncryptionEnabled ? (ctx.security.downloadEncryptDisabled || ctx.security.secureDownloadMode ? 'release' : 'development') : 'off',
    layout: ctx.layout,
  });
  return [...out, ...layout];
}

/**
 * Every refusal for these segments. With `force`, overridable refusals are dropped (the caller
 * reports them as warnings: they are returned in `overridden`); `warnings` never stop the job.
 */
export function safetyRefusals(segments: WriteSegment[], ctx: SafetyContext, force: boolean): { refusals: Refusal[]; overridden: Refusal[]; warnings: Refusal[] } {
  const refusals: Refusal[] = [];
  const overridden: Refusal[] = [];
  const warnings: Refusal[] = [];
  for (const f of deviceFindings(segments, ctx)) {
    const r = refusalOf(f);
    if (f.severity === 'warn') warnings.push(r);
    else (f.overridable && force ? overridden : refusals).push(r);
  }
  return { refusals, overridden, warnings };
}
