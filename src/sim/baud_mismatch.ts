/**
 * What a UART receiver makes of bytes sent at the wrong baud rate: framing errors, wrong
 * values and lost bytes. The model is deterministic: every third byte is lost and the others
 * come out scrambled, so no request or reply survives a mismatch.
 */

/** UART receivers tolerate a few percent of clock mismatch. */
export const BAUD_TOLERANCE = 0.03;

export function baudsMatch(sender: number, receiver: number): boolean {
  return Math.abs(sender - receiver) <= BAUD_TOLERANCE * receiver;
}

export function garble(bytes: Uint8Array, sender: number, receiver: number): Uint8Array {
  const out: number[] = [];
  const salt = (sender ^ receiver) & 0xff;
  for (let i = 0; i < bytes.length; i++) {
    if (i % 3 === 2) continue;
    out.push((bytes[i] * 167 + 13 + salt + i) & 0xff);
  }
  return Uint8Array.from(out);
}
