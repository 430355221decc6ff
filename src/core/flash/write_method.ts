/**
 * Which wire sequence writes a segment, given the loader in use (§4.3 variants A/B/C):
 *   compressed            FLASH_DEFL_BEGIN/DATA/END
 *   plain                 FLASH_BEGIN/DATA(/END)
 *   encrypted             FLASH_BEGIN with 5th word 1 + FLASH_DATA (ROM of S2 and newer; current stub)
 *   encrypted-compressed  FLASH_DEFL_BEGIN with 5th word 1 (current stub only)
 *   encrypted-d4          16-byte FLASH_BEGIN + FLASH_ENCRYPT_DATA 0xD4 (legacy stub)
 *   host-encrypted        ciphertext computed by the host, written with 'plain'
 */
import type { ChipFacts } from '../chips';
import type { EncryptMode } from '../plan/flash_plan';
import type { StubGeneration } from '../protocol/loader_session';

export type WriteMethod = 'compressed' | 'plain' | 'encrypted' | 'encrypted-compressed' | 'encrypted-d4' | 'host-encrypted';

export interface LoaderCaps {
  chip: ChipFacts;
  stub: boolean;
  stubGeneration?: StubGeneration;
  secureDownloadMode: boolean;
}

/** The loader can take FLASH_DEFL_* (stub, or an ESP32-and-later ROM outside Secure Download Mode). */
export function canCompress(l: LoaderCaps): boolean {
  return l.stub || (l.chip.romHasEsp32Commands && !l.secureDownloadMode);
}

/** The loader answers SPI_FLASH_MD5. */
export function canMd5(l: LoaderCaps): boolean {
  return l.stub || (l.chip.romHasEsp32Commands && !l.secureDownloadMode);
}

/** Candidate method before knowing whether compression shrinks the data. */
export function chooseMethod(encrypt: EncryptMode, l: LoaderCaps, compress: boolean): WriteMethod {
  if (encrypt === 'host') return 'host-encrypted';
  if (encrypt === 'off') return compress && canCompress(l) ? 'compressed' : 'plain';
  if (!l.stub) return 'encrypted';
  if (l.stubGeneration === 'legacy') return 'encrypted-d4';
  return compress ? 'encrypted-compressed' : 'encrypted';
}

export function isCompressed(m: WriteMethod): boolean {
  return m === 'compressed' || m === 'encrypted-compressed';
}

/** Without compression. */
export function uncompressedVariant(m: WriteMethod): WriteMethod {
  if (m === 'compressed') return 'plain';
  if (m === 'encrypted-compressed') return 'encrypted';
  return m;
}

export function describeMethod(m: WriteMethod, l: LoaderCaps): string {
  const loader = l.stub ? `${l.stubGeneration ?? ''} stub`.trim() : 'ROM';
  switch (m) {
    case 'compressed':
      return `compressed (${loader})`;
    case 'plain':
      return `plain (${loader})`;
    case 'encrypted':
      return `device-encrypted (${loader}, FLASH_BEGIN encrypted flag)`;
    case 'encrypted-compressed':
      return `device-encrypted, compressed (${loader})`;
    case 'encrypted-d4':
      return `device-encrypted (${loader}, FLASH_ENCRYPT_DATA)`;
    case 'host-encrypted':
      return `host-encrypted ciphertext, plain write (${loader})`;
  }
}
