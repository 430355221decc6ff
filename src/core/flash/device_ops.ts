/**
 * Device operations besides writing: read the chip's facts, erase all or a region, read flash,
 * verify segments against flash. Each opens the port, does its work, runs the after-action
 * (default hard reset) and always releases the port. Failures throw with actionable messages.
 */
import { InputError } from '../errors';
import { resolveHostKey } from '../crypto/device_key_file';
import type { FlashKey } from '../crypto/flash_crypto';
import { ERASE_MS_PER_MB, scaledTimeout } from '../protocol/timeouts';
import { FLASH_SECTOR } from '../protocol/opcodes';
import type { ConnectOptions, DeviceInfo, FlashOptions, WriteSegment } from './api';
import type { FlashEvent } from './events';
import { prepareAll } from './flash_job';
import { openSession, type OpenSession, type SessionWants } from './open_session';
import { validateSegments } from './validate_segments';

const hex = (n: number) => `0x${n.toString(16)}`;

async function withSession<T>(opts: ConnectOptions, wants: SessionWants, work: (s: OpenSession, emit: (e: FlashEvent) => void) => Promise<T>): Promise<T> {
  const emit = (e: FlashEvent) => {
    try {
      opts.onEvent?.(e);
    } catch {
      // listener bugs are not ours to fail on
    }
  };
  const s = await openSession(opts, { ...wants, stubRequired: opts.stubRequired }, emit);
  try {
    const result = await work(s, emit);
    await s.after(opts.after ?? 'hard-reset');
    return result;
  } finally {
    await s.close().catch(() => undefined);
  }
}

/** Chip, MAC, flash size and security state. Uses the ROM unless `opts.stub` is true. */
export async function readDeviceInfo(opts: ConnectOptions): Promise<DeviceInfo> {
  return withSession(opts, { stub: opts.stub ?? false }, async (s) => s.deviceInfo());
}

/** Erase the whole flash (stub ERASE_FLASH; ROM: FLASH_BEGIN over the detected size). */
export async function eraseFlash(opts: ConnectOptions): Promise<void> {
  await withSession(opts, { stub: opts.stub ?? true }, async (s) => {
    if (s.session.isStub) {
      await s.session.eraseFlash();
      return;
    }
    if (s.flashSize === undefined)
      throw new InputError('Erasing the whole flash with the ROM loader needs the flash size, which could not be detected. Use the stub, or erase a region.');
    await romErase(s, 0, s.flashSize);
  });
}

function checkRegion(offset: number, size: number): void {
  if (!Number.isInteger(offset) || offset < 0 || offset % FLASH_SECTOR !== 0) {
    throw new InputError(`Erase offset ${hex(offset)} is not a multiple of 4 KiB (0x1000); use ${hex(Math.max(0, offset - (offset % FLASH_SECTOR)))}.`);
  }
  if (!Number.isInteger(size) || size <= 0 || size % FLASH_SECTOR !== 0) {
    throw new InputError(`Erase size ${hex(size)} is not a positive multiple of 4 KiB (0x1000); use ${hex(Math.ceil(Math.max(size, 1) / FLASH_SECTOR) * FLASH_SECTOR)}.`);
  }
}

async function romErase(s: OpenSession, offset: number, size: number): Promise<void> {
  // The ROM erases the whole range when FLASH_BEGIN arrives (§2.3).
  await s.session.flashBegin({
    size,
    blocks: 0,
    blockSize: s.session.flashBlockSize,
    offset,
    timeoutMs: scaledTimeout(ERASE_MS_PER_MB, size),
    context: `erasing ${hex(size)} bytes at ${hex(offset)}`,
  });
}

/** Erase [offset, offset + size); both must be multiples of 4 KiB. */
export async function eraseRegion(opts: ConnectOptions, offset: number, size: number): Promise<void> {
  checkRegion(offset, size);
  await withSession(opts, { stub: opts.stub ?? true }, async (s) => {
    if (s.flashSize !== undefined && offset + size > s.flashSize) {
      throw new InputError(`Erase region ${hex(offset)}–${hex(offset + size)} runs past the end of the ${s.flashSize / 1048576} MB flash.`);
    }
    if (s.session.isStub) await s.session.eraseRegion(offset, size);
    else await romErase(s, offset, size);
  });
}

/** Raw flash contents (ciphertext where the flash is encrypted). */
export async function readFlash(opts: ConnectOptions, offset: number, length: number): Promise<Uint8Array> {
  if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(length) || length <= 0) {
    throw new InputError(`Cannot read ${length} bytes at ${String(offset)}: give a non-negative offset and a positive length.`);
  }
  return withSession(opts, { stub: opts.stub ?? true }, async (s, emit) => {
    if (s.flashSize !== undefined && offset + length > s.flashSize) {
      throw new InputError(`Reading ${hex(length)} bytes at ${hex(offset)} runs past the end of the ${s.flashSize / 1048576} MB flash.`);
    }
    const start = Date.now();
    const progress = (done: number) =>
      emit({
        kind: 'progress',
        index: 0,
        name: `read ${hex(offset)}`,
        written: done,
        total: length,
        sent: done,
        kbitPerSecond: Math.round((done * 8) / Math.max(1, Date.now() - start)),
      });
    if (s.session.isStub) return s.session.readFlashStub(offset, length, progress);
    if (s.detection.secureDownloadMode) throw new InputError('Reading flash is not possible in Secure Download Mode.');
    return s.session.readFlashSlow(offset, length, progress);
  });
}

/**
 * Compare segments with the flash by MD5, preparing them exactly as flashSegments would
 * (header patch, padding, host encryption). Device-encrypted segments need the key to be checked.
 */
export async function verifySegments(segments: WriteSegment[], opts: FlashOptions): Promise<{ name: string; ok: boolean; expected: string; actual: string }[]> {
  validateSegments(segments);
  return withSession(opts, { stub: opts.stub ?? true, flashSizeSetting: opts.settings?.size }, async (s) => {
    let key: FlashKey | undefined;
    if (opts.hostKey?.keyFile || opts.hostKey?.keyDir) key = resolveHostKey(opts.hostKey, { chip: s.chip.name, mac: s.mac });
    const prepared = prepareAll(segments, opts, s, key);
    const out: { name: string; ok: boolean; expected: string; actual: string }[] = [];
    for (const p of prepared) {
      if (!p.expectedMd5) {
        out.push({ name: p.name, ok: false, expected: `unverifiable: ${p.noVerifyReason ?? 'no MD5'}`, actual: '' });
        continue;
      }
      const actual = await s.session.flashMd5(p.offset, p.image.length, `verifying segment "${p.name}"`);
      out.push({ name: p.name, ok: actual === p.expectedMd5, expected: p.expectedMd5, actual });
    }
    return out;
  });
}
