/**
 * eFuse state of the virtual chip: flash-encryption mode, key, FLASH_CRYPT_CONFIG (ESP32),
 * Secure Boot, MAC — and the register words READ_REG shows for them, laid out with the
 * field addresses from the chip facts table (spec §3.5, §3.6).
 */
import * as crypto from 'node:crypto';
import { ChipFacts, RegField } from '../core/chips';
import { FlashCipher, flashCipher } from './sim_crypto';

export type EncryptionMode = 'off' | 'development' | 'release';

export interface EfuseSettings {
  mode: EncryptionMode;
  /** Key as a key file holds it; undefined = no key burned. */
  key?: Uint8Array;
  flashCryptConfig: number;
  secureBoot: boolean;
  mac: Uint8Array;
  /** Chip revision the eFuses say (default: DEFAULT_REVISION for the chip). */
  revision?: { major: number; minor: number };
  /** Crystal the chip runs from (default: the family's fixed crystal, else 40 MHz). */
  crystalMHz?: number;
}

/** A revision in production for each chip, as a virtual chip reports it by default. */
const DEFAULT_REVISION: Record<string, { major: number; minor: number }> = {
  esp32: { major: 3, minor: 1 },
  esp32s2: { major: 1, minor: 0 },
  esp32s3: { major: 0, minor: 2 },
  esp32c2: { major: 1, minor: 1 },
  esp32c3: { major: 0, minor: 4 },
  esp32c5: { major: 1, minor: 0 },
  esp32c6: { major: 0, minor: 1 },
  esp32h2: { major: 0, minor: 1 },
  esp32p4: { major: 1, minor: 0 },
};

/** KEY_PURPOSE values (S2 and later) — same numbers as chips.ts KEY_PURPOSE. */
const PURPOSE_XTS_128 = 4;
const PURPOSE_XTS_256_1 = 2;
const PURPOSE_XTS_256_2 = 3;

export function validateKey(chip: ChipFacts, key: Uint8Array): void {
  if (chip.cryptScheme === 'none') {
    throw new Error(`${chip.displayName} has no flash encryption; do not give a key.`);
  }
  if (chip.cryptScheme === 'esp32-aes') {
    if (key.length !== 32 && key.length !== 24) {
      throw new Error(`${chip.displayName} flash-encryption key must be 32 bytes (or 24 with 3/4 coding), got ${key.length}.`);
    }
    return;
  }
  if (!chip.xtsKeySizes.includes(key.length)) {
    throw new Error(`${chip.displayName} takes XTS-AES keys of ${chip.xtsKeySizes.join(' or ')} bytes, got ${key.length}.`);
  }
}

/** A random key of the size the chip uses (ESP32: 32; XTS: `xtsKeySize` when the chip takes it). */
export function generateKey(chip: ChipFacts, xtsKeySize: 32 | 64 = 32): Uint8Array {
  if (chip.cryptScheme === 'none') throw new Error(`${chip.displayName} has no flash encryption.`);
  if (chip.cryptScheme === 'esp32-aes') return new Uint8Array(crypto.randomBytes(32));
  if (!chip.xtsKeySizes.includes(xtsKeySize)) {
    throw new Error(`${chip.displayName} cannot hold a ${xtsKeySize}-byte XTS key (it takes ${chip.xtsKeySizes.join(' or ')}).`);
  }
  return new Uint8Array(crypto.randomBytes(xtsKeySize));
}

/** Default MAC: Espressif OUI 24:0A:C4 followed by three bytes derived from the chip name. */
export function defaultMac(chip: ChipFacts): Uint8Array {
  const h = crypto.createHash('sha256').update(`virtual-${chip.name}`).digest();
  return Uint8Array.from([0x24, 0x0a, 0xc4, h[0], h[1], h[2]]);
}

function putField(regs: Map<number, number>, f: RegField, value: number): void {
  const mask = ((1 << f.bits) - 1) >>> 0;
  const old = regs.get(f.addr) ?? 0;
  regs.set(f.addr, ((old & ~(mask << f.shift)) | ((value & mask) << f.shift)) >>> 0);
}

export class Efuses {
  private settings: EfuseSettings;
  private regs = new Map<number, number>();
  private cipherCache?: FlashCipher;

  constructor(
    readonly chip: ChipFacts,
    settings: EfuseSettings,
  ) {
    this.settings = { ...settings };
    this.validate(this.settings);
    this.apply();
  }

  get mode(): EncryptionMode {
    return this.settings.mode;
  }
  get key(): Uint8Array | undefined {
    return this.settings.key;
  }
  get flashCryptConfig(): number {
    return this.settings.flashCryptConfig;
  }
  get secureBoot(): boolean {
    return this.settings.secureBoot;
  }
  get mac(): Uint8Array {
    return this.settings.mac;
  }
  get revision(): { major: number; minor: number } | undefined {
    return this.settings.revision ?? DEFAULT_REVISION[this.chip.name];
  }
  get crystalMHz(): number {
    const c = this.chip.identity.crystal;
    return this.settings.crystalMHz ?? ('fixedMHz' in c ? c.fixedMHz : 40);
  }
  /** Crypt counter odd: the boot chain decrypts flash reads. */
  get encryptionEnabled(): boolean {
    return this.settings.mode !== 'off';
  }
  /** Release mode sets "manual encryption in download mode disabled". */
  get downloadEncryptDisabled(): boolean {
    return this.settings.mode === 'release';
  }

  /** The flash-encryption engine with the burned key, or undefined when no key is burned. */
  cipher(): FlashCipher | undefined {
    const key = this.settings.key;
    if (!key || this.chip.cryptScheme === 'none') return undefined;
    this.cipherCache ??= flashCipher(this.chip.cryptScheme, key, this.settings.flashCryptConfig);
    return this.cipherCache;
  }

  update(patch: Partial<EfuseSettings>): void {
    const next = { ...this.settings, ...patch };
    this.validate(next);
    this.settings = next;
    this.cipherCache = undefined;
    this.apply();
  }

  private validate(next: EfuseSettings): void {
    if (next.mac.length !== 6) throw new Error(`MAC must be 6 bytes, got ${next.mac.length}.`);
    if (next.key) validateKey(this.chip, next.key);
    if (next.mode !== 'off' && this.chip.cryptScheme === 'none') {
      throw new Error(`${this.chip.displayName} has no flash encryption; encryption must be "off".`);
    }
    if (next.mode !== 'off' && !next.key) throw new Error(`Flash encryption "${next.mode}" needs a key.`);
    if (!Number.isInteger(next.flashCryptConfig) || next.flashCryptConfig < 0 || next.flashCryptConfig > 0xf) {
      throw new Error(`FLASH_CRYPT_CONFIG must be 0..0xF, got ${next.flashCryptConfig}.`);
    }
  }

  /** Register word at `addr` if it is one of the modelled eFuse words. */
  readReg(addr: number): number | undefined {
    return this.regs.get(addr >>> 0);
  }

  /** Addresses of every modelled eFuse word (writes to them are ignored). */
  owns(addr: number): boolean {
    return this.regs.has(addr >>> 0);
  }

  /** GET_SECURITY_INFO payload (spec §3.6): 20 bytes, or 12 on chips without a chip id field. */
  securityInfo(): Uint8Array | undefined {
    if (this.chip.securityInfo === 'none') return undefined;
    const out = new Uint8Array(this.chip.securityInfo === 'full' ? 20 : 12);
    const flags = this.settings.secureBoot ? 1 : 0; // bit 0 SECURE_BOOT_EN; SDM not modelled
    out[0] = flags;
    out[4] = this.cryptCounterValue();
    const kp = this.chip.efuse.keyPresence;
    if (kp.kind === 'key-purpose') {
      kp.purposes.forEach((f, i) => {
        const w = this.regs.get(f.addr) ?? 0;
        out[5 + i] = (w >>> f.shift) & ((1 << f.bits) - 1);
      });
    }
    if (out.length === 20) {
      new DataView(out.buffer).setUint32(12, this.chip.imageChipId ?? 0, true);
      new DataView(out.buffer).setUint32(16, 0, true); // API/ECO version
    }
    return out;
  }

  private cryptCounterValue(): number {
    const f = this.chip.efuse.cryptCounter;
    if (!f) return 0;
    if (this.settings.mode === 'development') return 1;
    if (this.settings.mode === 'release') return (1 << f.bits) - 1; // all bits: odd count for 3 and 7 bits
    return 0;
  }

  private apply(): void {
    const regs = new Map<number, number>();
    const { chip } = this;
    const e = chip.efuse;
    const s = this.settings;
    const mac = s.mac;
    regs.set(e.macWord0 >>> 0, ((mac[2] << 24) | (mac[3] << 16) | (mac[4] << 8) | mac[5]) >>> 0);
    regs.set((e.macWord0 + 4) >>> 0, ((mac[0] << 8) | mac[1]) >>> 0);
    if (e.cryptCounter) putField(regs, e.cryptCounter, this.cryptCounterValue());
    if (e.downloadEncryptDisabled) putField(regs, e.downloadEncryptDisabled, s.mode === 'release' ? 1 : 0);
    if (e.secureBoot) putField(regs, e.secureBoot, s.secureBoot ? 1 : 0);
    const kp = e.keyPresence;
    const key = s.key;
    if (kp.kind === 'esp32-block1') {
      // A burned key is read-protected: the key words read back as zero.
      putField(regs, kp.readDisableBlock1, key ? 1 : 0);
      putField(regs, kp.flashCryptConfig, key ? s.flashCryptConfig : 0);
      putField(regs, kp.readDisableConfig, 0);
      for (let i = 0; i < 8; i++) if (!regs.has(kp.keyWords + 4 * i)) regs.set(kp.keyWords + 4 * i, 0);
    } else if (kp.kind === 'key-purpose') {
      kp.purposes.forEach((f) => putField(regs, f, 0));
      if (key && key.length === 64) {
        putField(regs, kp.purposes[0], PURPOSE_XTS_256_1);
        putField(regs, kp.purposes[1], PURPOSE_XTS_256_2);
      } else if (key) {
        putField(regs, kp.purposes[0], PURPOSE_XTS_128);
      }
      if (kp.keyManagerForced) putField(regs, kp.keyManagerForced, 0);
    } else if (kp.kind === 'esp32c2-key0') {
      putField(regs, kp.keyLength256, key && key.length === 32 ? 1 : 0);
      putField(regs, kp.readDisable, key ? (key.length === 32 ? 3 : 1) : 0);
      for (let i = 0; i < 8; i++) if (!regs.has(kp.keyWords + 4 * i)) regs.set(kp.keyWords + 4 * i, 0);
    }
    this.applyIdentity(regs, key);
    this.regs = regs;
  }

  /**
   * Revision fields, and the write/read protection a burned flash-encryption key carries: its
   * key block(s) read- and write-disabled, as the bootloader leaves them (espefuse summary).
   */
  private applyIdentity(regs: Map<number, number>, key: Uint8Array | undefined): void {
    const id = this.chip.identity;
    const rev = this.revision;
    if (rev) {
      let major = rev.major;
      if (id.majorRevMap) major = Number(Object.entries(id.majorRevMap).find(([, v]) => v === rev.major)?.[0] ?? 0);
      for (const p of id.majorRev) putField(regs, p.field, major >>> p.at);
      for (const p of id.minorRev) putField(regs, p.field, rev.minor >>> p.at);
    }
    const blocks = !key ? 0 : this.chip.efuse.keyPresence.kind === 'key-purpose' && key.length === 64 ? 2 : 1;
    let wr = id.wrDis !== undefined ? (regs.get(id.wrDis) ?? 0) : 0;
    let rd = 0;
    for (const b of id.keyBlocks.slice(0, blocks)) {
      if (b.wrDisBit !== undefined) wr |= 1 << b.wrDisBit;
      if (b.rdDisBit !== undefined) rd |= 1 << b.rdDisBit;
    }
    if (id.wrDis !== undefined) regs.set(id.wrDis, wr >>> 0);
    if (id.rdDis && this.chip.efuse.keyPresence.kind !== 'esp32c2-key0') {
      const old = id.rdDis.addr === id.wrDis ? wr : (regs.get(id.rdDis.addr) ?? 0);
      const mask = ((1 << id.rdDis.bits) - 1) << id.rdDis.shift;
      regs.set(id.rdDis.addr, ((old & ~mask) | ((rd << id.rdDis.shift) & mask) | (old & mask)) >>> 0);
    }
  }
}
