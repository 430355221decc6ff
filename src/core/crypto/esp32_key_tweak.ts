/**
 * ESP32 flash encryption: the per-32-byte-row key tweak (esp-serial-protocol.md §5.2).
 *
 * Key bit n (n = 0…255, bit 0 = MSB of key byte 0) is flipped when address bit P[n] is 1 and
 * the group holding n is enabled in FLASH_CRYPT_CONFIG. Only address bits 5…23 occur in P, so
 * every 32-byte row of a 16 MiB window has its own key.
 */
import { InputError, InternalError } from '../errors';

/** Address bits that take part in the tweak. */
export const TWEAK_ADDRESS_BITS = { low: 5, high: 23 } as const;

/** The four groups of P, in key-bit order; group g is enabled by FLASH_CRYPT_CONFIG bit g. */
const GROUP_TAIL_HIGH = [14, 12, 10, 8];

function buildTweakTable(): { addressBit: number; group: number }[] {
  const table: { addressBit: number; group: number }[] = [];
  GROUP_TAIL_HIGH.forEach((tailHigh, group) => {
    for (let run = 0; run < 3; run++) {
      for (let b = TWEAK_ADDRESS_BITS.high; b >= TWEAK_ADDRESS_BITS.low; b--) table.push({ addressBit: b, group });
    }
    for (let b = tailHigh; b >= TWEAK_ADDRESS_BITS.low; b--) table.push({ addressBit: b, group });
  });
  if (table.length !== 256) throw new InternalError(`internal: ESP32 tweak table has ${table.length} entries, expected 256`);
  return table;
}

/** P[n] with its group, for n = 0…255. */
export const TWEAK_TABLE = buildTweakTable();

/** For one FLASH_CRYPT_CONFIG: the 32-byte XOR mask each address bit contributes. */
const maskCache = new Map<number, Map<number, Buffer>>();

function masksFor(flashCryptConfig: number): Map<number, Buffer> {
  let masks = maskCache.get(flashCryptConfig);
  if (masks) return masks;
  masks = new Map();
  TWEAK_TABLE.forEach(({ addressBit, group }, n) => {
    if (!(flashCryptConfig & (1 << group))) return;
    let m = masks!.get(addressBit);
    if (!m) masks!.set(addressBit, (m = Buffer.alloc(32)));
    m[n >> 3] ^= 0x80 >> (n & 7);
  });
  maskCache.set(flashCryptConfig, masks);
  return masks;
}

export function checkFlashCryptConfig(flashCryptConfig: number): void {
  if (!Number.isInteger(flashCryptConfig) || flashCryptConfig < 0 || flashCryptConfig > 0xf) {
    throw new InputError(`FLASH_CRYPT_CONFIG ${String(flashCryptConfig)} is out of range: it is a 4-bit eFuse value (0x0…0xF, normally 0xF).`);
  }
}

/** The AES-256 key for the 32-byte row holding flash address `address`. */
export function esp32RowKey(key: Buffer, address: number, flashCryptConfig: number): Buffer {
  const out = Buffer.from(key);
  const masks = masksFor(flashCryptConfig);
  for (let b = TWEAK_ADDRESS_BITS.low; b <= TWEAK_ADDRESS_BITS.high; b++) {
    if (Math.floor(address / 2 ** b) % 2 === 0) continue;
    const m = masks.get(b);
    if (!m) continue;
    for (let i = 0; i < 32; i++) out[i] ^= m[i];
  }
  return out;
}
