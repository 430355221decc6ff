/**
 * The rules about WHERE and WHAT is written, judged the same by `plan` (with the facts it has),
 * the Flash Plan tree and the flash job (with the device's facts):
 *  (a) plaintext into a region an encryption-enabled chip reads encrypted (by region, not content);
 *  (b) an offset off a 4 KiB sector boundary (the sector erase loses the bytes before it);
 *  (c) the flash size the bootloader header will say once written (after the detect/keep patch)
 *      against the device's flash (a warning, as esptool gives);
 *  (d) two segments in one 4 KiB sector (the second write's erase damages the first).
 * A rule that lacks a fact it needs (no device yet, chip unknown) says nothing.
 */
import { FLASH_SIZES, flashSizeBytes, type ChipFacts } from '../chips';
import { formatSize } from '../formats/bytes';
import { parseImage } from '../formats/image_parse';
import type { EncryptMode, FlashSettings } from '../plan/flash_plan';
import { patchImageHeader } from '../flash/image_header_patch';
import { DEFAULT_PARTITION_TABLE_OFFSET, regionOf, type FlashLayout } from './encrypted_regions';
import { hex, where, type RuleFinding } from './rule_finding';

export const SECTOR = 0x1000;

export interface RuleSegment {
  name: string;
  offset: number;
  bytes: Uint8Array;
  /** How it will be written; undefined while not chosen yet (plan time): the region rule then waits. */
  encrypt?: EncryptMode;
  /** The build marks it encrypted (written encrypted when flash encryption is on). */
  encryptedInBuild?: boolean;
  /** How the offset was given ("pair 1: "010" read as decimal 10"), when the user typed it. */
  offsetText?: string;
}

export interface RuleFacts {
  chip?: ChipFacts;
  /** The flash settings the bootloader header is patched with. */
  settings?: FlashSettings;
  /** The device's flash size (detected at flash time; reported by Read Device Info / given to `plan`). */
  deviceFlashSize?: number;
  /** The device's flash encryption; undefined when no device is known. */
  deviceEncryption?: 'off' | 'development' | 'release';
  /** The partition layout the region rule judges by (the plan's table, else the device's). */
  layout?: FlashLayout;
}

/** "offset 10 (0xa; "010" was read as decimal 10)" when the typed offset reads unlike its hex form. */
function offsetWords(s: RuleSegment): string {
  const t = s.offsetText?.trim();
  if (t && /^0\d+$/.test(t)) return ` (typed "${t}", read as decimal ${s.offset}; write 0x${t.replace(/^0+/, '') || '0'} for hex)`;
  return '';
}

/** (a) Plaintext where the chip reads ciphertext. Overridable. */
function plaintextRegion(s: RuleSegment, f: RuleFacts): RuleFinding | undefined {
  const chip = f.chip;
  if (s.encrypt !== 'off' || !chip || chip.cryptScheme === 'none' || !f.deviceEncryption || f.deviceEncryption === 'off') return undefined;
  const layout = f.layout ?? { tableOffset: DEFAULT_PARTITION_TABLE_OFFSET, source: 'no partition table', unknownWhy: 'no partition table is known' };
  const v = regionOf(s.offset, s.bytes.length, chip, layout);
  if (v.encrypted === false && s.encryptedInBuild !== true) return undefined;
  const mode = f.deviceEncryption === 'release' ? 'Release' : 'Development';
  const because =
    v.encrypted === true
      ? `${v.what} is read through the decryption engine`
      : v.encrypted === 'unknown'
        ? `${v.what}, so it may be read through the decryption engine`
        : `the build marks it encrypted`;
  return {
    code: 'plaintext-in-encrypted-region',
    severity: 'refuse',
    segment: s.name,
    offset: s.offset,
    overridable: true,
    reason: `Refusing to write ${where(s)} as plaintext: flash encryption is on (${mode} mode) on this ${chip.displayName} and ${because}; the chip would decrypt the plaintext to garbage (a bootloader, table or app there will not boot).`,
    advice:
      `Write it encrypted (the chip encrypts in Development mode; in Release mode encrypt on the host with the device's key)` +
      (v.encrypted === 'unknown' ? ", or flash it together with the build's partition table so the plain regions (nvs, storage) are known" : '') +
      '.',
  };
}

/** (b) Not on a 4 KiB boundary: the sector erase loses what lies before it. Overridable. */
function unalignedOffset(s: RuleSegment, sharesWithPrevious: boolean): RuleFinding | undefined {
  const lost = s.offset % SECTOR;
  if (lost === 0 || sharesWithPrevious) return undefined;
  const start = s.offset - lost;
  return {
    code: 'unaligned-offset',
    severity: 'refuse',
    segment: s.name,
    offset: s.offset,
    overridable: true,
    reason:
      `${where(s)}${offsetWords(s)} is not on a 4 KiB sector boundary: writing erases the whole sector ${hex(start)}–${hex(start + SECTOR)}, ` +
      `so the ${lost} byte${lost === 1 ? '' : 's'} before it (${hex(start)}–${hex(s.offset)}) would be lost.`,
    advice: `Use a 4 KiB-aligned offset (${hex(start)} or ${hex(start + SECTOR)}), or force it only if those ${lost} bytes may be erased.`,
  };
}

/** (c) The flash size the bootloader header will say, once patched, against the device's. */
function headerFlashSize(s: RuleSegment, f: RuleFacts): RuleFinding | undefined {
  const chip = f.chip;
  const device = f.deviceFlashSize;
  if (!chip || !device || chip.imageChipId === undefined || s.bytes.length < 24 || s.bytes[0] !== 0xe9) return undefined;
  const info = parseImage(s.bytes, { chip: chip.name }).info;
  if (!info || info.chipId !== chip.imageChipId) return undefined;
  const boot = s.offset === chip.bootloaderOffset;
  let header = s.bytes;
  if (boot) {
    try {
      header = patchImageHeader(s.bytes, s.offset, chip, f.settings, device, s.name).bytes;
    } catch {
      return undefined; // an invalid setting is reported by the plan check of settings
    }
  }
  const name = FLASH_SIZES[header[3] >> 4];
  const says = name ? flashSizeBytes(name) : undefined;
  if (!says || says <= device) return undefined;
  const setting = f.settings?.size;
  const fromWhat = boot
    ? setting && setting !== 'keep' && setting !== 'detect'
      ? `the flash size setting ${setting} patched into the bootloader header`
      : 'the bootloader header (written as built)'
    : 'the app header (app headers are written as built)';
  return {
    code: 'header-flash-size',
    // A warning, as esptool gives: the chip still boots; what lies past the real flash is unusable.
    severity: 'warn',
    segment: s.name,
    offset: s.offset,
    overridable: false,
    reason: `${where(s)}: ${fromWhat} says ${name} of flash, but the connected device has ${formatSize(device)}; the chip would address flash it does not have.`,
    advice: boot ? 'Set the flash size to "detect" or the device\'s size, or rebuild for this board.' : "Rebuild for the device's flash size.",
  };
}

/** (d) Two segments in one 4 KiB sector. Not overridable: one write's erase destroys the other. */
function sharedSector(a: RuleSegment, b: RuleSegment): RuleFinding | undefined {
  if (a.offset + a.bytes.length > b.offset) return undefined; // an overlap: reported as such
  const lastOfA = Math.floor((a.offset + Math.max(1, a.bytes.length) - 1) / SECTOR);
  if (lastOfA !== Math.floor(b.offset / SECTOR)) return undefined;
  return {
    code: 'shared-sector',
    severity: 'refuse',
    segment: b.name,
    offset: b.offset,
    overridable: false,
    reason:
      `Segments "${a.name}" (ends ${hex(a.offset + a.bytes.length)}) and "${b.name}" (starts ${hex(b.offset)}${offsetWords(b)}) share the 4 KiB flash sector at ${hex(lastOfA * SECTOR)}; ` +
      `writing one erases the whole sector, so the other would be damaged.`,
    advice: `Move "${b.name}" to a 4 KiB boundary (${hex((lastOfA + 1) * SECTOR)}), or merge the two into one file.`,
  };
}

/** Every finding of the four layout rules, in segment order. */
export function layoutFindings(segments: RuleSegment[], facts: RuleFacts): RuleFinding[] {
  const out: RuleFinding[] = [];
  const sorted = [...segments].sort((x, y) => x.offset - y.offset);
  const shares = new Set<RuleSegment>();
  for (let i = 1; i < sorted.length; i++) {
    const f = sharedSector(sorted[i - 1], sorted[i]);
    if (f) {
      out.push(f);
      shares.add(sorted[i]);
    }
  }
  for (const s of segments) {
    const a = plaintextRegion(s, facts);
    if (a) out.push(a);
    // An encrypted segment off the chip's encryption alignment is refused (not overridable) by the device rules already.
    const misalignedEncrypted = s.encrypt !== undefined && s.encrypt !== 'off' && !!facts.chip?.encryptedWriteAlign && s.offset % facts.chip.encryptedWriteAlign !== 0;
    const b = misalignedEncrypted ? undefined : unalignedOffset(s, shares.has(s));
    if (b) out.push(b);
    const c = headerFlashSize(s, facts);
    if (c) out.push(c);
  }
  return out;
}
