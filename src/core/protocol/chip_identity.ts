/**
 * Chip revision, crystal, features and a read-only eFuse summary (key purposes, what is burned,
 * write- and read-protected), read with READ_REG only — nothing here ever writes an eFuse.
 * Every address comes from the chip table (src/core/chips.ts `identity`, `efuse`).
 */
import { readField, type BitPart, type ChipFacts } from '../chips';
import type { LoaderSession } from './loader_session';
import type { DeviceSecurity } from './device_security';

/** Key purpose names (S2 and later; esptool/espefuse KEY_PURPOSES). */
const PURPOSES: Record<number, string> = {
  0: 'USER',
  1: 'RESERVED',
  2: 'XTS_AES_256_KEY_1',
  3: 'XTS_AES_256_KEY_2',
  4: 'XTS_AES_128_KEY',
  5: 'HMAC_DOWN_ALL',
  6: 'HMAC_DOWN_JTAG',
  7: 'HMAC_DOWN_DIGITAL_SIGNATURE',
  8: 'HMAC_UP',
  9: 'SECURE_BOOT_DIGEST0',
  10: 'SECURE_BOOT_DIGEST1',
  11: 'SECURE_BOOT_DIGEST2',
  12: 'KM_INIT_KEY',
};

export interface KeyBlockState {
  name: string;
  /** S2 and later: the block's key purpose ("XTS_AES_128_KEY"); ESP32/C2: what the block is for. */
  purpose?: string;
  /** Something is programmed: a purpose other than USER, or (ESP32, C2) read protection or non-zero words. */
  burned: boolean;
  writeProtected?: boolean;
  readProtected?: boolean;
}

export interface ChipIdentity {
  /** "v0.1" style revision: major and minor from eFuse. */
  revision?: { major: number; minor: number };
  crystalMHz?: number;
  /** How the crystal was found: "fixed" for the chip family, "measured" from the UART divider. */
  crystalSource?: 'fixed' | 'measured';
  features: string[];
  /** BLOCK0 write-disable word as read (each set bit locks a group of eFuse fields). */
  writeDisable?: number;
  /** BLOCK0 read-disable bits as read. */
  readDisable?: number;
  keyBlocks: KeyBlockState[];
}

async function compose(session: LoaderSession, parts: BitPart[], words: Map<number, number>): Promise<number> {
  let v = 0;
  for (const p of parts) v |= readField(await word(session, p.field.addr, words), p.field) << p.at;
  return v >>> 0;
}

async function word(session: LoaderSession, addr: number, words: Map<number, number>): Promise<number> {
  let v = words.get(addr);
  if (v === undefined) {
    v = (await session.readReg(addr)) >>> 0;
    words.set(addr, v);
  }
  return v;
}

/** Nearest crystal the ROM's UART divider points at (esptool get_crystal_freq: 26, 40 or 48 MHz). */
export function crystalFromDivider(divider: number, baud: number, xtalClkDivider: number): number {
  const est = (baud * (divider & 0xfffff)) / 1e6 / xtalClkDivider;
  if (est > 45) return 48;
  if (est > 33) return 40;
  return 26;
}

/**
 * Reads the identity of the chip behind `session` (not in Secure Download Mode: READ_REG is not
 * allowed there). `baud` is the rate the port runs at now (the crystal is measured against it).
 */
export async function readChipIdentity(session: LoaderSession, chip: ChipFacts, security: DeviceSecurity, baud: number): Promise<ChipIdentity> {
  const id = chip.identity;
  const words = new Map<number, number>();
  const out: ChipIdentity = { features: [...id.features], keyBlocks: [] };
  if (id.majorRev.length || id.minorRev.length) {
    let major = await compose(session, id.majorRev, words);
    if (id.majorRevMap) major = id.majorRevMap[major] ?? 0;
    const minor = await compose(session, id.minorRev, words);
    out.revision = { major, minor };
  }
  if ('fixedMHz' in id.crystal) {
    out.crystalMHz = id.crystal.fixedMHz;
    out.crystalSource = 'fixed';
  } else {
    out.crystalMHz = crystalFromDivider(await word(session, id.crystal.uartClkDiv, words), baud, id.crystal.xtalClkDivider);
    out.crystalSource = 'measured';
  }
  if (id.wrDis !== undefined) {
    const w = await word(session, id.wrDis, words);
    out.writeDisable = id.wrDisBits && id.wrDisBits < 32 ? w & ((1 << id.wrDisBits) - 1) : w;
  }
  if (id.rdDis) out.readDisable = readField(await word(session, id.rdDis.addr, words), id.rdDis);
  const kp = chip.efuse.keyPresence;
  for (const [n, b] of id.keyBlocks.entries()) {
    const state: KeyBlockState = { name: b.name, burned: false };
    if (b.wrDisBit !== undefined && out.writeDisable !== undefined) state.writeProtected = ((out.writeDisable >>> b.wrDisBit) & 1) === 1;
    if (b.rdDisBit !== undefined && out.readDisable !== undefined) state.readProtected = ((out.readDisable >>> b.rdDisBit) & 1) === 1;
    if (kp.kind === 'key-purpose' && kp.purposes[n]) {
      const purpose = readField(await word(session, kp.purposes[n].addr, words), kp.purposes[n]);
      state.purpose = PURPOSES[purpose] ?? `purpose ${purpose}`;
      state.burned = purpose !== 0 || !!state.readProtected || !!state.writeProtected;
    } else if (n === 0 && (kp.kind === 'esp32-block1' || kp.kind === 'esp32c2-key0')) {
      state.purpose = 'flash encryption key';
      state.burned = security.keyPresent === true || !!state.readProtected;
    } else {
      state.burned = !!state.readProtected || !!state.writeProtected;
    }
    out.keyBlocks.push(state);
  }
  return out;
}
