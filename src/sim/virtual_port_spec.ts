/**
 * "virtual:…" port specs for the CLI and the extension's port setting, e.g.
 *   virtual:esp32c3:encryption=development:stub=current:flash=8MB:timing:key=./key.bin
 *
 * Options (any order, after the chip name):
 *   encryption=off|development|release   (also enc=…, dev, release as bare words)
 *   stub=legacy|legacy-1.10|current   (how an unrecognised stub image behaves; known images run as themselves)
 *   flash=4MB|8MiB|512KB|<bytes>|0x…      flash size
 *   timing | timing=on|off               UART + flash timing model
 *   key=<hex>|<path to a raw key file>    flash-encryption key
 *   xts=32|64                            size of a generated XTS key (xtsKeySize=… too)
 *   cryptconfig=0xF                      ESP32 FLASH_CRYPT_CONFIG (flashCryptConfig=… too)
 *   secureboot | secureboot=on|off
 *   mac=24-0a-c4-12-34-56 (or 240ac4123456; ':' separates options)
 *   bootlog=on|off, resetlines=on|off
 *   usbjtag                              USB-Serial/JTAG: re-enumerates on a reset into the app
 *   appbaud=<baud>                       the app's console baud rate (default 115200)
 *   ticks=<ms>                           the app prints a numbered tick every <ms> ms
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CHIP_NAMES, normalizeChipName } from '../core/chips';
import type { VirtualChipOptions } from './virtual_chip';

const PREFIX = 'virtual:';

export function isVirtualPortSpec(spec: string): boolean {
  return spec.trim().toLowerCase().startsWith(PREFIX);
}

/** Options for a "virtual:<chip>:…" spec; undefined when `spec` is not a virtual spec. Throws on bad options. */
export function parseVirtualPortSpec(spec: string): VirtualChipOptions | undefined {
  const s = spec.trim();
  if (!isVirtualPortSpec(s)) return undefined;
  const tokens = joinDriveLetters(s.slice(PREFIX.length).split(':'));
  const chipToken = tokens.shift() ?? '';
  const chip = normalizeChipName(chipToken);
  if (!chip) {
    throw new Error(`Virtual port "${spec}": unknown chip "${chipToken}". Use virtual:<chip>, chip one of ${CHIP_NAMES.join(', ')}.`);
  }
  const opts: VirtualChipOptions = { chip };
  for (const token of tokens) {
    if (token === '') continue;
    const eq = token.indexOf('=');
    const name = (eq < 0 ? token : token.slice(0, eq)).trim().toLowerCase().replace(/[-_]/g, '');
    const value = eq < 0 ? undefined : token.slice(eq + 1).trim();
    const bad = (why: string): Error => new Error(`Virtual port "${spec}": option "${token}" ${why}.`);
    switch (name) {
      case 'encryption':
      case 'enc':
        opts.encryption = encryptionMode(value, bad);
        break;
      case 'dev':
      case 'development':
      case 'release':
      case 'off':
        if (value !== undefined) throw bad('takes no value');
        opts.encryption = encryptionMode(name, bad);
        break;
      case 'stub':
        if (value !== 'legacy' && value !== 'legacy-1.10' && value !== 'current') throw bad('must be stub=legacy, stub=legacy-1.10 or stub=current');
        opts.stub = value;
        break;
      case 'flash':
      case 'flashsize':
        opts.flashSize = parseSize(value, bad);
        break;
      case 'timing':
        opts.timing = onOff(value, bad);
        break;
      case 'key':
        if (!value) throw bad('needs a value: key=<hex> or key=<path to key file>');
        opts.key = parseKey(value, bad);
        break;
      case 'xts':
      case 'xtskeysize':
        if (value !== '32' && value !== '64') throw bad('must be 32 or 64 (bytes)');
        opts.xtsKeySize = Number(value) as 32 | 64;
        break;
      case 'cryptconfig':
      case 'flashcryptconfig': {
        const n = value === undefined ? NaN : Number(value);
        if (!Number.isInteger(n) || n < 0 || n > 15) throw bad('must be a number 0..15 (e.g. 0xF)');
        opts.flashCryptConfig = n;
        break;
      }
      case 'secureboot':
        opts.secureBoot = onOff(value, bad);
        break;
      case 'mac': {
        const h = (value ?? '').replace(/[-.]/g, '');
        if (!/^[0-9a-f]{12}$/i.test(h)) throw bad('must be six hex bytes, e.g. mac=24-0a-c4-12-34-56 or mac=240ac4123456');
        opts.mac = hexBytes(h);
        break;
      }
      case 'bootlog':
        opts.bootLog = onOff(value, bad);
        break;
      case 'resetlines':
        opts.resetLines = onOff(value, bad);
        break;
      case 'usbjtag':
        opts.usbJtag = onOff(value, bad);
        break;
      case 'appbaud':
      case 'ticks': {
        const n = Number(value);
        if (!Number.isInteger(n) || n <= 0) throw bad(name === 'ticks' ? 'must be a period in ms, e.g. ticks=50' : 'must be a baud rate, e.g. appbaud=2000000');
        if (name === 'ticks') opts.tickMs = n;
        else opts.appBaud = n;
        break;
      }
      default:
        throw bad('is not known; use encryption=, stub=, flash=, timing, key=, xts=, cryptconfig=, secureboot, mac=, bootlog=, resetlines=, usbjtag, appbaud=, ticks=');
    }
  }
  return opts;
}

/** "C" followed by "\\dir\\key.bin" came from splitting a Windows path on ':'. */
function joinDriveLetters(tokens: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (/^key=[A-Za-z]$/i.test(t) && i + 1 < tokens.length && /^[\\/]/.test(tokens[i + 1])) {
      out.push(`${t}:${tokens[i + 1]}`);
      i++;
    } else out.push(t);
  }
  return out;
}

function encryptionMode(v: string | undefined, bad: (w: string) => Error): 'off' | 'development' | 'release' {
  const m = (v ?? '').toLowerCase();
  if (m === 'off' || m === 'none') return 'off';
  if (m === 'development' || m === 'dev') return 'development';
  if (m === 'release') return 'release';
  throw bad('must be encryption=off, encryption=development or encryption=release');
}

function onOff(v: string | undefined, bad: (w: string) => Error): boolean {
  if (v === undefined) return true;
  const m = v.toLowerCase();
  if (['1', 'on', 'true', 'yes'].includes(m)) return true;
  if (['0', 'off', 'false', 'no'].includes(m)) return false;
  throw bad('must be on or off');
}

function parseSize(v: string | undefined, bad: (w: string) => Error): number {
  const m = /^(0x[0-9a-f]+|\d+)\s*(k|kb|kib|m|mb|mib)?$/i.exec(v ?? '');
  if (!m) throw bad('must be a size such as 4MB, 8MiB, 512KB or a byte count');
  const n = Number(m[1]);
  const unit = (m[2] ?? '').toLowerCase();
  return unit.startsWith('k') ? n * 1024 : unit.startsWith('m') ? n * 1024 * 1024 : n;
}

function hexBytes(h: string): Uint8Array {
  return Uint8Array.from(Buffer.from(h, 'hex'));
}

function parseKey(v: string, bad: (w: string) => Error): Uint8Array {
  const h = v.replace(/^0x/i, '');
  if (/^[0-9a-f]+$/i.test(h) && [32, 48, 64, 128].includes(h.length)) return hexBytes(h);
  const file = path.resolve(v);
  let data: Buffer;
  try {
    data = fs.readFileSync(file);
  } catch (e) {
    throw bad(`is neither a hex key (32, 48, 64 or 128 hex digits) nor a readable key file (${(e as Error).message})`);
  }
  if (![16, 24, 32, 64].includes(data.length)) throw bad(`names a key file of ${data.length} bytes; key files hold 16, 24, 32 or 64 raw bytes`);
  return new Uint8Array(data);
}
