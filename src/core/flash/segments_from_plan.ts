/** Turn a FlashPlan into the list the flasher writes, choosing each segment's encryption. */
import type { FlashPlan } from '../plan/flash_plan';
import type { WriteSegment } from './api';

/**
 * `mode` 'plain' writes every segment as plaintext; 'encrypted' encrypts the segments the build
 * marks encrypted (or that `overrides` turns on), with `encryptMode` ('device': the chip encrypts,
 * 'host': the host encrypts with a key file). `overrides` maps a segment name (or its offset
 * as "0x10000") to true/false and wins over the build's flag.
 */
export function segmentsFromPlan(
  plan: FlashPlan,
  mode: 'plain' | 'encrypted',
  encryptMode: 'device' | 'host',
  overrides?: Record<string, boolean>,
): WriteSegment[] {
  return plan.segments.map((s) => {
    const key = `0x${s.offset.toString(16)}`;
    const wanted = overrides?.[s.name] ?? overrides?.[key] ?? s.encrypt;
    return {
      name: s.name,
      offset: s.offset,
      bytes: s.bytes,
      encrypt: mode === 'encrypted' && wanted ? encryptMode : 'off',
      encryptedInBuild: s.encrypt,
      ...(s.offsetText !== undefined ? { offsetText: s.offsetText } : {}),
    };
  });
}
