/**
 * New random flash-encryption key files (never burned by us: espefuse does that, once).
 */
import { InputError } from '../errors';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { chipFacts } from '../chips';
import { byteSizes, chipKeyLengths, keyForChip, type FlashKey } from './flash_key';

export interface NewKeyOptions {
  /** A 64-byte XTS-AES-256 key (only chips whose eFuses take one). Default: 32 bytes. */
  xts256?: boolean;
}

/** Random key bytes of the right size for the chip, checked the way loadKeyFile checks them. */
export function newFlashKey(chipName: string, opts: NewKeyOptions = {}): FlashKey {
  const chip = chipFacts(chipName);
  if (chip.cryptScheme === 'none') throw new InputError(`${chip.displayName} has no flash encryption; there is no key to generate.`);
  const lengths = chipKeyLengths(chip);
  let length = 32;
  if (opts.xts256) {
    if (chip.cryptScheme !== 'xts-aes' || !lengths.includes(64)) {
      throw new InputError(`${chip.displayName} cannot use an XTS-AES-256 key (its eFuses take ${byteSizes(lengths)} keys); ask for a 32-byte key instead.`);
    }
    length = 64;
  }
  // A random key whose XTS halves are equal is astronomically unlikely; keyForChip would refuse it.
  for (;;) {
    try {
      return keyForChip(crypto.randomBytes(length), chip.name);
    } catch (e) {
      if (!/identical/.test((e as Error).message)) throw e;
    }
  }
}

/** Write a key file; never overwrites (a lost key makes an encrypted device unreadable). */
export function writeNewKeyFile(file: string, bytes: Uint8Array): void {
  try {
    fs.writeFileSync(file, bytes, { flag: 'wx', mode: 0o600 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EEXIST') {
      throw new InputError(
        `${file} already exists; generate-key never overwrites a key file (losing a key can make an encrypted ` +
          `device unreadable). Choose another output file, or move the old file away yourself.`,
      );
    }
    if (err.code) throw new InputError(`Cannot write key file ${file} (${err.code}): ${err.message}`);
    throw err;
  }
}
