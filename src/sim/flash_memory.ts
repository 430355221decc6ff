/**
 * NOR flash contents of the virtual chip: erased state 0xFF, erase in 4 KiB sectors or
 * 64 KiB blocks, programming can only clear bits (new = old AND data), so writing over
 * data that was not erased shows up as corruption, as on real flash.
 */

export const SECTOR_SIZE = 0x1000;
export const BLOCK_SIZE = 0x10000;
export const PAGE_SIZE = 0x100;

export class FlashMemory {
  readonly bytes: Uint8Array;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < BLOCK_SIZE || size % BLOCK_SIZE !== 0) {
      throw new Error(`Virtual flash size ${size} is not a multiple of 64 KiB; use e.g. 4 MiB (4194304).`);
    }
    this.bytes = new Uint8Array(size).fill(0xff);
  }

  contains(offset: number, length: number): boolean {
    return Number.isInteger(offset) && Number.isInteger(length) && offset >= 0 && length >= 0 && offset + length <= this.size;
  }

  read(offset: number, length: number): Uint8Array {
    this.check(offset, length, 'read');
    return this.bytes.slice(offset, offset + length);
  }

  /** Erase [offset, offset+length); both must be sector aligned. */
  erase(offset: number, length: number): void {
    this.check(offset, length, 'erase');
    if (offset % SECTOR_SIZE !== 0 || length % SECTOR_SIZE !== 0) {
      throw new Error(`Flash erase at 0x${offset.toString(16)} length 0x${length.toString(16)} is not 4 KiB aligned.`);
    }
    this.bytes.fill(0xff, offset, offset + length);
  }

  /** Program bytes: each byte becomes old AND new. Returns the number of 256-byte pages touched. */
  program(offset: number, data: Uint8Array): number {
    this.check(offset, data.length, 'program');
    const b = this.bytes;
    for (let i = 0; i < data.length; i++) b[offset + i] &= data[i];
    return pagesTouched(offset, data.length);
  }

  /** Raw overwrite, no erase needed (seeding flash contents for a test or demo). */
  preload(offset: number, data: Uint8Array): void {
    this.check(offset, data.length, 'preload');
    this.bytes.set(data, offset);
  }

  private check(offset: number, length: number, what: string): void {
    if (!this.contains(offset, length)) {
      throw new RangeError(`Flash ${what} of ${length} bytes at 0x${offset.toString(16)} is outside the ${this.size / 1048576} MiB virtual flash.`);
    }
  }
}

export function pagesTouched(offset: number, length: number): number {
  if (length <= 0) return 0;
  return Math.floor((offset + length - 1) / PAGE_SIZE) - Math.floor(offset / PAGE_SIZE) + 1;
}

export interface EraseStep {
  offset: number;
  length: number; // SECTOR_SIZE or BLOCK_SIZE
}

/**
 * Split a sector-aligned range into erase operations the way the loaders do it: 64 KiB block
 * erase where the address is block aligned and a whole block remains, 4 KiB sectors elsewhere.
 */
export function planErase(start: number, end: number): EraseStep[] {
  const steps: EraseStep[] = [];
  let a = start;
  while (a < end) {
    if (a % BLOCK_SIZE === 0 && end - a >= BLOCK_SIZE) {
      steps.push({ offset: a, length: BLOCK_SIZE });
      a += BLOCK_SIZE;
    } else {
      steps.push({ offset: a, length: SECTOR_SIZE });
      a += SECTOR_SIZE;
    }
  }
  return steps;
}

export const sectorFloor = (a: number): number => Math.floor(a / SECTOR_SIZE) * SECTOR_SIZE;
export const sectorCeil = (a: number): number => Math.ceil(a / SECTOR_SIZE) * SECTOR_SIZE;
