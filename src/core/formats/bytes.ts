/** Little helpers over Uint8Array used by the binary formats (all little-endian). */

export function u16(b: Uint8Array, at: number): number {
  return b[at] | (b[at + 1] << 8);
}

export function u32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

export function putU16(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
}

export function putU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = (v >>> 16) & 0xff;
  b[at + 3] = (v >>> 24) & 0xff;
}

/** A NUL-terminated (or field-filling) ASCII/UTF-8 string from a fixed-size field. */
export function cString(b: Uint8Array, at: number, len: number): string {
  let end = at;
  const stop = Math.min(at + len, b.length);
  while (end < stop && b[end] !== 0) end++;
  return Buffer.from(b.subarray(at, end)).toString('utf8');
}

/** Writes `text` into a fixed-size field, NUL padded (truncated to the field). */
export function putCString(b: Uint8Array, at: number, len: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  b.fill(0, at, at + len);
  b.set(bytes.subarray(0, len), at);
}

export function hex(n: number): string {
  return '0x' + (n >>> 0).toString(16);
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Human size: 4096 → "4 KiB", 1048576 → "1 MiB", 1000 → "1000 B". */
export function formatSize(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} B`;
}

/** "413792 bytes", or "4194304 bytes = 4 MiB" when the size is a whole KiB/MiB. */
export function sizeText(n: number): string {
  const short = formatSize(n);
  return short.endsWith(' B') ? `${n} bytes` : `${n} bytes = ${short}`;
}

/**
 * Parses an offset or size as written in build files and CSVs: "0x10000", "65536", "64K", "1M".
 * Returns undefined when it is not a number.
 */
export function parseFlashNumber(text: string): number | undefined {
  const t = text.trim();
  let n: number;
  const suffix = /^(0x[0-9a-f]+|\d+)\s*([km])b?$/i.exec(t);
  if (/^0x[0-9a-f]+$/i.test(t)) n = parseInt(t.slice(2), 16);
  else if (/^\d+$/.test(t)) n = parseInt(t, 10);
  else if (suffix) {
    const base = suffix[1].toLowerCase().startsWith('0x') ? parseInt(suffix[1].slice(2), 16) : parseInt(suffix[1], 10);
    n = base * (suffix[2].toLowerCase() === 'k' ? 1024 : 1024 * 1024);
  } else return undefined;
  return Number.isSafeInteger(n) && n >= 0 && n <= 0xffffffff ? n : undefined;
}
