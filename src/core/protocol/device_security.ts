/**
 * Flash-encryption and secure-boot state of the connected chip, from eFuse registers read with
 * READ_REG (§3.5) or, in Secure Download Mode, from GET_SECURITY_INFO alone (§3.6).
 * All register addresses come from the chip table (src/core/chips.ts).
 */
import { KEY_PURPOSE, cryptCounterEnabled, readField, type ChipFacts, type RegField } from '../chips';
import type { LoaderSession } from './loader_session';
import type { SecurityInfo } from './security_info';

export interface DeviceSecurity {
  cryptCounter: number;
  flashEncryptionEnabled: boolean;
  /** "Manual encryption in download mode disabled" (release mode); undefined when it cannot be read (SDM). */
  downloadEncryptDisabled?: boolean;
  secureBoot: boolean;
  /** A flash-encryption key is programmed; undefined when it cannot be read (SDM). */
  keyPresent?: boolean;
  /** ESP32 FLASH_CRYPT_CONFIG (0xF when read-protected). */
  flashCryptConfig?: number;
  secureDownloadMode: boolean;
  mode: 'off' | 'development' | 'release';
  /** Where the facts came from. */
  source: 'efuse' | 'security-info' | 'none';
}

/** Reads registers once each. */
class RegCache {
  private readonly values = new Map<number, number>();
  constructor(private readonly session: LoaderSession) {}
  async word(addr: number): Promise<number> {
    let v = this.values.get(addr);
    if (v === undefined) {
      v = await this.session.readReg(addr);
      this.values.set(addr, v);
    }
    return v;
  }
  async field(f: RegField): Promise<number> {
    return readField(await this.word(f.addr), f);
  }
}

function modeOf(enabled: boolean, releaseHint: boolean): DeviceSecurity['mode'] {
  if (!enabled) return 'off';
  return releaseHint ? 'release' : 'development';
}

function purposesHaveKey(purposes: number[], accepts256: boolean): boolean {
  if (purposes.includes(KEY_PURPOSE.XTS_AES_128_KEY)) return true;
  return accepts256 && purposes.includes(KEY_PURPOSE.XTS_AES_256_KEY_1) && purposes.includes(KEY_PURPOSE.XTS_AES_256_KEY_2);
}

export async function readDeviceSecurity(session: LoaderSession, chip: ChipFacts, info: SecurityInfo | undefined, secureDownloadMode: boolean): Promise<DeviceSecurity> {
  if (secureDownloadMode) {
    const counter = info?.cryptCounter ?? 0;
    const enabled = cryptCounterEnabled(counter);
    const kp = chip.efuse.keyPresence;
    const keyPresent = info && kp.kind === 'key-purpose' ? purposesHaveKey(info.keyPurposes.slice(0, 6), kp.accepts256) : undefined;
    return {
      cryptCounter: counter,
      flashEncryptionEnabled: enabled,
      secureBoot: info?.secureBootEnabled ?? false,
      keyPresent,
      secureDownloadMode: true,
      mode: modeOf(enabled, true),
      source: info ? 'security-info' : 'none',
    };
  }
  const e = chip.efuse;
  if (!e.cryptCounter) {
    return { cryptCounter: 0, flashEncryptionEnabled: false, secureBoot: false, keyPresent: false, secureDownloadMode: false, mode: 'off', source: 'none' };
  }
  const regs = new RegCache(session);
  const counter = await regs.field(e.cryptCounter);
  const enabled = cryptCounterEnabled(counter);
  const dlDisabled = e.downloadEncryptDisabled ? (await regs.field(e.downloadEncryptDisabled)) === 1 : false;
  const secureBoot = e.secureBoot ? (await regs.field(e.secureBoot)) === 1 : false;
  let keyPresent = false;
  let flashCryptConfig: number | undefined;
  const kp = e.keyPresence;
  switch (kp.kind) {
    case 'none':
      break;
    case 'esp32-block1': {
      if ((await regs.field(kp.readDisableBlock1)) === 1) keyPresent = true;
      else {
        for (let i = 0; i < 8 && !keyPresent; i++) keyPresent = (await regs.word(kp.keyWords + 4 * i)) !== 0;
      }
      flashCryptConfig = (await regs.field(kp.readDisableConfig)) === 1 ? 0xf : await regs.field(kp.flashCryptConfig);
      break;
    }
    case 'key-purpose': {
      const purposes: number[] = [];
      for (const f of kp.purposes) purposes.push(await regs.field(f));
      keyPresent = purposesHaveKey(purposes, kp.accepts256);
      if (!keyPresent && kp.keyManagerForced) keyPresent = (await regs.field(kp.keyManagerForced)) === 1;
      break;
    }
    case 'esp32c2-key0': {
      const is256 = (await regs.field(kp.keyLength256)) === 1;
      const rd = await regs.field(kp.readDisable);
      if ((is256 && rd === 3) || (!is256 && rd === 1)) keyPresent = true;
      else {
        const words = is256 ? 8 : 4;
        for (let i = 0; i < words && !keyPresent; i++) keyPresent = (await regs.word(kp.keyWords + 4 * i)) !== 0;
      }
      break;
    }
  }
  return {
    cryptCounter: counter,
    flashEncryptionEnabled: enabled,
    downloadEncryptDisabled: dlDisabled,
    secureBoot: secureBoot || (info?.secureBootEnabled ?? false),
    keyPresent,
    flashCryptConfig,
    secureDownloadMode: false,
    mode: modeOf(enabled, dlDisabled),
    source: 'efuse',
  };
}

/** MAC address from the two eFuse words at macWord0 (esptool `read_mac`): "aa:bb:cc:dd:ee:ff". */
export async function readMac(session: LoaderSession, chip: ChipFacts): Promise<string> {
  const w0 = await session.readReg(chip.efuse.macWord0);
  const w1 = await session.readReg(chip.efuse.macWord0 + 4);
  return macFromWords(w0, w1);
}

export function macFromWords(w0: number, w1: number): string {
  const bytes = [(w1 >>> 8) & 0xff, w1 & 0xff, (w0 >>> 24) & 0xff, (w0 >>> 16) & 0xff, (w0 >>> 8) & 0xff, w0 & 0xff];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}
