/**
 * Flash-encryption keys as espsecure reads them (esp-serial-protocol.md §5.1): raw key files,
 * no header, normalised here to the key the algorithm uses.
 *
 *   ESP32 scheme: 32 bytes, or 24 bytes (3/4 coding) extended to key[0..24] ++ key[8..16].
 *   XTS scheme:   32 bytes ⇒ XTS-AES-128 (data key ++ tweak key), 64 bytes ⇒ XTS-AES-256,
 *                 16 bytes ⇒ SHA-256(key), used as XTS-AES-128 (ESP32-C2 128-bit mode).
 */
import { InputError } from '../errors';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { chipFacts, type ChipFacts, type FlashCryptScheme } from '../chips';

export type CryptScheme = Exclude<FlashCryptScheme, 'none'>;

export interface FlashKey {
  scheme: CryptScheme;
  /** Normalised key: 32 bytes (ESP32), 32 (XTS-AES-128) or 64 (XTS-AES-256). */
  bytes: Buffer;
  /** AES key size of the data key: 256 for ESP32, 128 or 256 for XTS. */
  sizeBits: 128 | 256;
  /** Length of the key as given (16, 24, 32 or 64 bytes). */
  givenLength: number;
  /** "XTS-AES-128 (32-byte key)", for messages. */
  description: string;
  /** Where the key came from (a file path), for messages. */
  source?: string;
}

/** Key lengths each scheme can read, whatever the chip. */
export const SCHEME_KEY_LENGTHS: Record<CryptScheme, number[]> = {
  'esp32-aes': [24, 32],
  'xts-aes': [16, 32, 64],
};

export const SCHEME_NAMES: Record<CryptScheme, string> = {
  'esp32-aes': 'the ESP32 AES-256 scheme',
  'xts-aes': 'XTS-AES',
};

/** What a key of this length means for this scheme ("XTS-AES-256 key"). */
function lengthMeaning(length: number, scheme: CryptScheme): string {
  if (scheme === 'esp32-aes') return length === 24 ? 'ESP32 192-bit key (3/4 coding scheme)' : 'ESP32 AES-256 key';
  if (length === 16) return 'XTS-AES-128 key derived with SHA-256 (128-bit eFuse key)';
  return length === 64 ? 'XTS-AES-256 key' : 'XTS-AES-128 key';
}

/** [24, 32] → "24- or 32-byte"; [16, 32, 64] → "16-, 32- or 64-byte". */
export function byteSizes(lengths: number[]): string {
  const parts = lengths.map((l) => `${l}-`);
  const text = parts.length > 1 ? `${parts.slice(0, -1).join(', ')} or ${parts[parts.length - 1]}` : parts[0];
  return `${text}byte`;
}

function keyName(source: string | undefined): string {
  return source ? `Key file ${source}` : 'The key';
}

function schemeOfOtherLength(length: number, scheme: CryptScheme): string {
  const other: CryptScheme = scheme === 'esp32-aes' ? 'xts-aes' : 'esp32-aes';
  return SCHEME_KEY_LENGTHS[other].includes(length) ? ` (${length} bytes is a key size of ${SCHEME_NAMES[other]})` : '';
}

/**
 * Build a key for a scheme from raw key-file bytes. `where` names the key file (or chip) in
 * error messages.
 */
export function keyFromBytes(bytes: Uint8Array, scheme: CryptScheme, where?: string): FlashKey {
  const raw = Buffer.from(bytes);
  const lengths = SCHEME_KEY_LENGTHS[scheme];
  if (!lengths.includes(raw.length)) {
    throw new InputError(
      `${keyName(where)} holds ${raw.length} bytes, which is not a key for ${SCHEME_NAMES[scheme]}` +
        `${schemeOfOtherLength(raw.length, scheme)}: that takes ${byteSizes(lengths)} keys (raw binary as ` +
        `espsecure writes them). Check that the key file and the chip (or the XTS-AES choice) belong together.`,
    );
  }
  let normalised: Buffer;
  if (scheme === 'esp32-aes') {
    normalised = raw.length === 24 ? Buffer.concat([raw, raw.subarray(8, 16)]) : raw;
  } else {
    normalised = raw.length === 16 ? crypto.createHash('sha256').update(raw).digest() : raw;
    const half = normalised.length / 2;
    if (normalised.subarray(0, half).equals(normalised.subarray(half))) {
      throw new InputError(
        `${keyName(where)} is not usable for XTS-AES: its two ${half}-byte halves (data key and tweak key) are identical. ` +
          `OpenSSL refuses such keys ("xts duplicated keys") because they void the XTS tweak; ` +
          `make a new key (the generate-key command makes one for a chip).`,
      );
    }
  }
  const sizeBits: 128 | 256 = scheme === 'xts-aes' && normalised.length === 32 ? 128 : 256;
  return {
    scheme,
    bytes: normalised,
    sizeBits,
    givenLength: raw.length,
    description:
      `${scheme === 'esp32-aes' ? 'ESP32 AES-256' : `XTS-AES-${sizeBits}`} (${raw.length}-byte key` +
      `${raw.length === 16 ? ', SHA-256-derived' : raw.length === 24 ? ', 3/4 coding' : ''})`,
    source: where,
  };
}

/** Key lengths a chip's eFuses can hold (as key files hold them). */
export function chipKeyLengths(chip: ChipFacts): number[] {
  if (chip.cryptScheme === 'esp32-aes') return SCHEME_KEY_LENGTHS['esp32-aes'];
  if (chip.cryptScheme === 'xts-aes') return chip.xtsKeySizes;
  return [];
}

function noEncryption(chip: ChipFacts): Error {
  return new InputError(`${chip.displayName} has no flash encryption, so there is no key to use for it.`);
}

/** Refusal text when `key` cannot be this chip's flash-encryption key, else undefined. */
export function keyChipMismatch(key: FlashKey, chipName: string): string | undefined {
  const chip = chipFacts(chipName);
  if (chip.cryptScheme === 'none') return noEncryption(chip).message;
  const name = keyName(key.source);
  if (chip.cryptScheme !== key.scheme) {
    return (
      `${name} was loaded as a key for ${SCHEME_NAMES[key.scheme]}, but ${chip.displayName} uses ` +
      `${SCHEME_NAMES[chip.cryptScheme]}. Load it for ${chip.displayName} (or give the chip's own key).`
    );
  }
  const lengths = chipKeyLengths(chip);
  if (!lengths.includes(key.givenLength)) {
    return (
      `${name} holds ${key.givenLength} bytes (${lengthMeaning(key.givenLength, key.scheme)}), but ` +
      `${chip.displayName} takes ${byteSizes(lengths)} keys ` +
      `(${lengths.map((l) => lengthMeaning(l, chip.cryptScheme as CryptScheme)).join(' or ')}). ` +
      `Use a key of that size (the generate-key command makes one for ${chip.name}).`
    );
  }
  return undefined;
}

/** Build a key for a chip from raw bytes: the chip decides the scheme and allowed sizes. */
export function keyForChip(bytes: Uint8Array, chipName: string, where?: string): FlashKey {
  const chip = chipFacts(chipName);
  if (chip.cryptScheme === 'none') throw noEncryption(chip);
  const lengths = chipKeyLengths(chip);
  if (!SCHEME_KEY_LENGTHS[chip.cryptScheme].includes(bytes.length)) {
    throw new InputError(
      `${keyName(where)} holds ${bytes.length} bytes, which is not a flash-encryption key for ${chip.displayName}` +
        `${schemeOfOtherLength(bytes.length, chip.cryptScheme)}: ${chip.displayName} uses ${SCHEME_NAMES[chip.cryptScheme]} ` +
        `with ${byteSizes(lengths)} keys. Give that chip's key file (raw binary as espsecure writes it).`,
    );
  }
  const key = keyFromBytes(bytes, chip.cryptScheme, where);
  const mismatch = keyChipMismatch(key, chip.name);
  if (mismatch) throw new InputError(mismatch);
  return key;
}

/** Largest key file there is; anything bigger is not a key file. */
const MAX_KEY_FILE = 64;

/** Read a raw key file's bytes with messages that say what to do. */
export function readKeyFileBytes(file: string): Buffer {
  let size: number;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new InputError(`Key file ${file} is not a regular file; give the path of a raw key file.`);
    size = st.size;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') {
      throw new InputError(`Key file ${file} not found. Give the path of a raw key file as espsecure writes it ` + `(the generate-key command makes a new one).`);
    }
    if (err.code) throw new InputError(`Key file ${file} cannot be read (${err.code}): ${err.message}`);
    throw err;
  }
  if (size > MAX_KEY_FILE) {
    throw new InputError(`Key file ${file} holds ${size} bytes; flash-encryption key files are 16, 24, 32 or 64 bytes of raw key. ` + `Is this the right file?`);
  }
  return fs.readFileSync(file);
}

/** Load a key file for a chip (scheme and allowed sizes from the chip table). */
export function loadKeyFile(file: string, chip: string): FlashKey {
  return keyForChip(readKeyFileBytes(file), chip, file);
}

/** Load a key file for a scheme, whatever the chip (espsecure's view: --aes-xts or not). */
export function loadSchemeKeyFile(file: string, scheme: CryptScheme): FlashKey {
  return keyFromBytes(readKeyFileBytes(file), scheme, file);
}
