/** Which way a flash crypto operation goes. */
export type CryptDirection = 'encrypt' | 'decrypt';

/** Bytes per AES block; every flash crypto operation works on whole blocks at aligned addresses. */
export const AES_BLOCK = 16;

/** Copy `len` bytes from src[srcPos…] to dst[dstPos…] in reverse order. */
export function copyReversed(src: Uint8Array, srcPos: number, dst: Uint8Array, dstPos: number, len: number): void {
  for (let i = 0; i < len; i++) dst[dstPos + i] = src[srcPos + len - 1 - i];
}
