/**
 * `esp-flasher encrypt-image` — host-side flash encryption of a file, byte-identical to
 * `espsecure encrypt-flash-data` (same options). Also holds the code decrypt-image shares.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { chipFacts } from '../core/chips';
import { hex } from '../core/crypto/flash_cipher';
import {
  createFlashDecryptStream,
  createFlashEncryptStream,
  DEFAULT_FLASH_CRYPT_CONFIG,
  loadKeyFile,
  loadSchemeKeyFile,
  type CryptDirection,
  type CryptScheme,
  type FlashKey,
} from '../core/crypto/flash_crypto';
import { formatOptionHelp, Options, parseArgs, UsageError, type OptionSpec } from './args';
import type { CliContext } from './cli_context';

export const IMAGE_CRYPT_OPTIONS: OptionSpec[] = [
  { name: 'keyfile', short: 'k', kind: 'value', valueName: 'FILE', help: 'Raw key file as espsecure writes it (16, 24, 32 or 64 bytes)' },
  { name: 'address', short: 'a', kind: 'value', valueName: 'ADDR', help: 'Flash address the data lives at (multiple of 16), e.g. 0x10000' },
  { name: 'output', short: 'o', kind: 'value', valueName: 'FILE', help: 'File to write (overwritten)' },
  { name: 'aes-xts', short: 'x', kind: 'flag', help: 'XTS-AES scheme (ESP32-S2 and later); default is the ESP32 scheme' },
  { name: 'chip', short: 'c', kind: 'value', valueName: 'CHIP', help: 'Take the scheme and allowed key sizes from this chip instead' },
  { name: 'flash-crypt-conf', kind: 'value', valueName: 'CONF', help: 'ESP32 scheme: FLASH_CRYPT_CONFIG eFuse value (default 0xF)' },
];

export function imageCryptUsage(direction: CryptDirection): string {
  const [cmd, what, input] =
    direction === 'encrypt'
      ? ['encrypt-image', 'Encrypt a plaintext file for a flash address with a key file', 'PLAINTEXT']
      : ['decrypt-image', 'Decrypt flash contents read back from a flash address with a key file', 'CIPHERTEXT'];
  return [
    `Usage: esp-flasher ${cmd} --keyfile FILE --address ADDR --output FILE [--aes-xts | --chip CHIP] [--flash-crypt-conf CONF] ${input}`,
    '',
    `${what}, as espsecure ${direction}-flash-data does (same options, same bytes).`,
    '',
    'Options:',
    ...formatOptionHelp(IMAGE_CRYPT_OPTIONS),
    '',
    direction === 'encrypt'
      ? 'Input that is not a multiple of 16 bytes is padded with 0xFF (espsecure pads ESP32 data with random bytes and refuses short XTS data).'
      : 'The input must be a multiple of 16 bytes, as flash ciphertext always is.',
    `Example: esp-flasher ${cmd} --aes-xts --keyfile key.bin --address 0x10000 --output out.bin in.bin`,
  ].join('\n');
}

export const usage = (): string => imageCryptUsage('encrypt');

/** espsecure 4 spelled options with underscores (--flash_crypt_conf, --aes_xts). */
function normaliseSpelling(args: string[]): string[] {
  return args.map((a) => {
    if (!a.startsWith('--')) return a;
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(0, eq) : a;
    return name.replace(/_/g, '-') + (eq >= 0 ? a.slice(eq) : '');
  });
}

function required(opts: Options, name: string, command: string): string {
  const v = opts.string(name);
  if (v === undefined) throw new UsageError(`--${name} is required. Run "esp-flasher ${command} --help" for the options.`, command);
  return v;
}

interface KeyChoice {
  key: FlashKey;
  scheme: CryptScheme;
}

function chooseKey(opts: Options, keyfile: string, command: string): KeyChoice {
  const chipName = opts.string('chip');
  if (chipName !== undefined) {
    let chip;
    try {
      chip = chipFacts(chipName);
    } catch (e) {
      throw new UsageError(`--chip: ${(e as Error).message}`, command);
    }
    if (chip.cryptScheme === 'none') throw new Error(`${chip.displayName} has no flash encryption.`);
    if (opts.has('aes-xts') && chip.cryptScheme !== 'xts-aes') {
      throw new UsageError(`--aes-xts contradicts --chip ${chipName}: ${chip.displayName} uses the ESP32 scheme. Give one of them.`, command);
    }
    return { key: loadKeyFile(keyfile, chip.name), scheme: chip.cryptScheme };
  }
  const scheme: CryptScheme = opts.has('aes-xts') ? 'xts-aes' : 'esp32-aes';
  return { key: loadSchemeKeyFile(keyfile, scheme), scheme };
}

/** The whole of encrypt-image / decrypt-image. */
export async function runImageCrypt(direction: CryptDirection, args: string[], out: (line: string) => void, ctx?: CliContext): Promise<number> {
  const command = direction === 'encrypt' ? 'encrypt-image' : 'decrypt-image';
  const note = ctx?.err ?? out;
  const opts = new Options(parseArgs(normaliseSpelling(args), IMAGE_CRYPT_OPTIONS, command), command);
  if (opts.has('help')) {
    out(imageCryptUsage(direction));
    return 0;
  }
  if (opts.positionals.length !== 1) {
    throw new UsageError(`give exactly one input file (got ${opts.positionals.length ? opts.positionals.join(' ') : 'none'}). Run "esp-flasher ${command} --help".`, command);
  }
  const input = opts.positionals[0];
  const keyfile = required(opts, 'keyfile', command);
  required(opts, 'address', command);
  const address = opts.number('address') as number;
  const output = required(opts, 'output', command);
  const conf = opts.number('flash-crypt-conf');

  const { key, scheme } = chooseKey(opts, keyfile, command);
  if (conf !== undefined && scheme === 'xts-aes') note('Note: --flash-crypt-conf applies to the ESP32 scheme only; ignored for XTS-AES.');
  if (conf === 0 && scheme === 'esp32-aes') note('Note: FLASH_CRYPT_CONFIG 0 disables the address tweak; a real device normally uses 0xF.');
  const flashCryptConfig = scheme === 'esp32-aes' ? (conf ?? DEFAULT_FLASH_CRYPT_CONFIG) : undefined;
  const cryptOpts = { flashCryptConfig, label: input };
  // Build the transform first: it checks the address and config before any file is touched.
  const transform = direction === 'encrypt' ? createFlashEncryptStream(key, address, cryptOpts) : createFlashDecryptStream(key, address, cryptOpts);

  let size: number;
  try {
    const st = fs.statSync(input);
    if (!st.isFile()) throw new Error(`${input} is not a regular file.`);
    size = st.size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`Input file ${input} not found.`);
    throw e;
  }
  if (size === 0) throw new Error(`Input file ${input} is empty: nothing to ${direction}.`);
  if (direction === 'decrypt' && size % 16 !== 0) {
    throw new Error(`${input} is ${size} bytes long, not a multiple of 16: flash ciphertext always is. Was it cut short?`);
  }
  if (path.resolve(output) === path.resolve(input)) {
    throw new UsageError(`--output is the input file ${input}; write to another file.`, command);
  }
  if (direction === 'encrypt' && size % 16 !== 0) {
    note(`Note: ${input} is ${size} bytes; padding with ${16 - (size % 16)} bytes of 0xFF to a multiple of 16.`);
  }

  const schemeText = scheme === 'esp32-aes' ? `ESP32 AES-256, FLASH_CRYPT_CONFIG ${hex(flashCryptConfig!)}` : key.description.split(' (')[0];
  out(`Using ${key.description} from ${keyfile}.`);
  try {
    await pipeline(fs.createReadStream(input), transform, fs.createWriteStream(output));
  } catch (e) {
    fs.rmSync(output, { force: true });
    throw e;
  }
  const written = fs.statSync(output).size;
  out(`${direction === 'encrypt' ? 'Encrypted' : 'Decrypted'} ${input} (${size} bytes) for flash address ${hex(address)} (${schemeText}) to ${output} (${written} bytes).`);
  return 0;
}

export async function run(args: string[], out: (line: string) => void, ctx?: CliContext): Promise<number> {
  return runImageCrypt('encrypt', args, out, ctx);
}
