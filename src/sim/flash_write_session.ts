/**
 * One FLASH_BEGIN … FLASH_END (or FLASH_DEFL_*) write on the virtual chip.
 *
 * ROM style: the whole range is erased at BEGIN, every block is written as sent (including
 * the 0xFF padding of the last one). Stub style: sectors are erased as data arrives (64 KiB
 * blocks where aligned), the data is trimmed to the size announced at BEGIN; how and when the
 * erases run depends on the stub (StubEraseStyle). Compressed
 * sessions inflate each block as it arrives (pako streaming, sync flush); a stub writes what
 * comes out, a ROM in whole pieces of its 32 KiB inflate window and the rest at the end of the
 * stream (as the ESP32 and ESP32-C3 ROMs do in Espressif's QEMU: SPI_FLASH_MD5 part-way through
 * a compressed write finds only whole 32 KiB pieces). Encrypted blocks are stored as ciphertext
 * at their flash address.
 */
import * as pako from 'pako';
import { sectorCeil, sectorFloor, BLOCK_SIZE, SECTOR_SIZE } from './flash_memory';
import { FlashOps } from './flash_ops';
import { FlashCipher } from './sim_crypto';

/** A ROM's compressed write reaches flash in pieces of this many inflated bytes (its inflate window). */
const ROM_INFLATE_PIECE = 0x8000;

/** Why a write failed: SPI write/encryption refused, bad deflate stream, more data than announced. */
export type WriteFault = 'spi' | 'inflate' | 'too-much';

/**
 * How a stub erases while it writes, each read from the stub's published source:
 *  - 'on-demand' (esptool-legacy-flasher-stub, flasher_stub/stub_write_flash.c `handle_flash_data`):
 *    before each write it issues the erases the write needs (a 64 KiB block erase where aligned,
 *    else 4 KiB sectors) and waits for them; nothing is erased ahead of the data.
 *  - 'ahead' (esp-flasher-stub v0.2.0 and later, src/command_handler.c: "Start async erase while
 *    waiting for new data"): BEGIN starts the first erase without waiting; at the start of each
 *    data block's work it starts the next erase step if the flash is idle
 *    (`stub_lib_flash_start_next_erase` returns at once when it is busy), so erases run in the
 *    flash chip while the CPU inflates or waits for the next block; a write waits only for the
 *    erases it still needs.
 *  - 'ahead-skip-blank' (esp-flasher-stub v1.1.0 and later, "skip erase on already-blank
 *    sectors"): as 'ahead', but until the first sector that is not all 0xFF each erase step
 *    first reads its 4 KiB sector and skips the erase when it is blank; from the first dirty
 *    sector on every step erases without reading. A factory-blank chip is never erased.
 */
export type StubEraseStyle = 'on-demand' | 'ahead' | 'ahead-skip-blank';

export interface WriteSessionParams {
  offset: number;
  /** Bytes announced at BEGIN (uncompressed size for FLASH_DEFL_BEGIN). */
  size: number;
  blockSize: number;
  numBlocks: number;
  compressed: boolean;
  /** Encrypted flag of BEGIN (5th word); FLASH_ENCRYPT_DATA asks per block instead. */
  encrypted: boolean;
  /** Stub: trim to `size` and erase lazily. ROM: erase at BEGIN, write blocks whole. */
  style: 'rom' | 'stub';
  /** Address/length granularity the encryption engine needs (chips.ts encryptedWriteAlign). */
  encryptAlign: number;
  /** Stub style only: how erases are scheduled (default 'on-demand'). */
  eraseStyle?: StubEraseStyle;
}

export interface EncryptionAccess {
  /** The engine with the burned key, undefined when no key is burned. */
  cipher(): FlashCipher | undefined;
  /** False in Release mode (manual encryption in download mode disabled). */
  allowed(): boolean;
}

export class FlashWriteSession {
  /** Plaintext bytes accepted so far (after inflate and trimming). */
  produced = 0;
  blocksReceived = 0;
  fault?: WriteFault;
  /** Human-readable reason for the fault (for logs and test messages). */
  faultDetail = '';
  private writeAddr: number;
  private eraseNext: number;
  private readonly eraseEnd: number;
  /** 'ahead' styles: when the erase running in the flash chip ends (ms on the chip's clock). */
  private flashFreeAt = 0;
  /** 'ahead-skip-blank': a sector that was not blank has been seen, erase without reading. */
  private dirtySeen = false;
  /** The chip-clock time the work being modelled has reached (ms); set by begin()/feed(). */
  private clock = 0;
  private inflater?: pako.Inflate;
  private inflated: Uint8Array[] = [];
  /** ROM: inflated output not yet written (less than one piece). */
  private romHeld = new Uint8Array(0);
  private carry = new Uint8Array(0);

  constructor(
    readonly params: WriteSessionParams,
    private readonly ops: FlashOps,
    private readonly enc: EncryptionAccess,
  ) {
    this.writeAddr = params.offset;
    this.eraseNext = sectorFloor(params.offset);
    this.eraseEnd = Math.min(sectorCeil(params.offset + params.size), ops.flash.size);
    if (params.compressed) {
      this.inflater = new pako.Inflate();
      this.inflater.onData = (chunk: Uint8Array) => {
        this.inflated.push(chunk.slice());
      };
    }
  }

  /** ROM: erase everything BEGIN covers before answering. Returns modelled ms. */
  eraseAll(): number {
    const ms = this.eraseNext < this.eraseEnd ? this.ops.erase(this.eraseNext, this.eraseEnd) : 0;
    this.eraseNext = this.eraseEnd;
    return ms;
  }

  /**
   * Stub BEGIN at chip time `now` (ms). 'ahead' styles start the first erase step without waiting
   * for it; returns the ms of CPU work before the reply (a blank-sector check reads 4 KiB).
   */
  begin(now: number): number {
    if (this.params.style !== 'stub' || !this.ahead) return 0;
    this.clock = now;
    this.eraseStep();
    return this.clock - now;
  }

  /** When the flash chip is idle again (an erase started ahead may still be running). */
  flashIdleAt(): number {
    return this.flashFreeAt;
  }

  get complete(): boolean {
    return this.produced >= this.params.size;
  }

  /**
   * Feed one data block (already checksum-checked), its work starting at chip time `now` (ms).
   * Returns the modelled ms of work the loader spends on it ('ahead' styles: erases started in
   * the background are not counted; a write that needs one waits for it).
   */
  feed(block: Uint8Array, encryptBlock: boolean, now = 0): number {
    this.blocksReceived++;
    if (this.fault) return 0;
    if (this.ahead) {
      this.clock = now;
      this.eraseStep(); // esp-flasher-stub: an opportunistic erase step as the block's work starts
      this.feedBlock(block, encryptBlock);
      return this.clock - now;
    }
    return this.feedBlock(block, encryptBlock);
  }

  private get ahead(): boolean {
    return this.params.style === 'stub' && (this.params.eraseStyle === 'ahead' || this.params.eraseStyle === 'ahead-skip-blank');
  }

  private feedBlock(block: Uint8Array, encryptBlock: boolean): number {
    const encrypt = this.params.encrypted || encryptBlock;
    if (!this.inflater) return this.accept(block, encrypt);
    if ((this.inflater as unknown as { ended: boolean }).ended) {
      return this.fail('too-much', 'compressed data continues after the end of the zlib stream');
    }
    this.inflated = [];
    this.inflater.push(block, pako.constants.Z_SYNC_FLUSH);
    let ms = 0;
    let first = true;
    if (this.params.style === 'rom') {
      // The ROM writes whole pieces of its inflate window, and what is left when the stream ends.
      const held = Buffer.concat([this.romHeld, ...this.inflated]);
      const ended = (this.inflater as unknown as { ended: boolean }).ended;
      const n = ended ? held.length : held.length - (held.length % ROM_INFLATE_PIECE);
      this.romHeld = held.slice(n);
      this.inflated = n ? [held.subarray(0, n)] : [];
    }
    for (const chunk of this.inflated) {
      if (this.ahead && !first) this.eraseStep(); // the stub's inflate loop tries an erase step per round
      first = false;
      ms += this.accept(chunk, encrypt);
      if (this.fault) return ms;
    }
    this.inflated = [];
    if (this.inflater.err) {
      return ms + this.fail('inflate', `inflate error ${this.inflater.err}: ${this.inflater.msg || 'bad deflate stream'}`);
    }
    return ms;
  }

  /** At END: anything left over that could not be written? */
  finish(): WriteFault | undefined {
    if (!this.fault && this.carry.length > 0) {
      this.fail('spi', `encrypted data ends ${this.carry.length} bytes past a ${this.params.encryptAlign}-byte boundary`);
    }
    return this.fault;
  }

  private accept(data: Uint8Array, encrypt: boolean): number {
    let chunk = data;
    let overflow = false;
    if (this.params.style === 'stub') {
      const remaining = this.params.size - this.produced;
      if (remaining <= 0) return this.fail('too-much', `more data than the ${this.params.size} bytes announced at BEGIN`);
      if (chunk.length > remaining) {
        chunk = chunk.subarray(0, remaining);
        overflow = this.params.compressed; // uncompressed blocks are padded by design; inflated output is not
      }
    }
    const ms = encrypt ? this.writeEncrypted(chunk) : this.writePlain(chunk);
    if (overflow && !this.fault) return ms + this.fail('too-much', `inflated data exceeds the ${this.params.size} bytes announced`);
    return ms;
  }

  private writePlain(data: Uint8Array): number {
    if (this.carry.length > 0) return this.fail('spi', 'plain data follows an unaligned encrypted block');
    const ms = this.program(this.writeAddr, data);
    if (!this.fault) {
      this.writeAddr += data.length;
      this.produced += data.length;
    }
    return ms;
  }

  private writeEncrypted(data: Uint8Array): number {
    const cipher = this.enc.cipher();
    if (!cipher) return this.fail('spi', 'encrypted write but no flash-encryption key is burned');
    if (!this.enc.allowed()) return this.fail('spi', 'encrypted write refused: manual encryption in download mode is disabled (Release mode)');
    const align = this.params.encryptAlign;
    if (this.writeAddr % align !== 0) {
      return this.fail('spi', `encrypted write at 0x${this.writeAddr.toString(16)} is not ${align}-byte aligned`);
    }
    const buf = new Uint8Array(this.carry.length + data.length);
    buf.set(this.carry, 0);
    buf.set(data, this.carry.length);
    const n = buf.length - (buf.length % align);
    let ms = 0;
    if (n > 0) {
      if (!this.ops.flash.contains(this.writeAddr, n)) return this.outOfRange(n);
      ms = this.program(this.writeAddr, cipher.encrypt(this.writeAddr, buf.subarray(0, n)));
      if (this.fault) return ms;
      this.writeAddr += n;
    }
    this.carry = buf.slice(n);
    this.produced += data.length;
    return ms;
  }

  private program(addr: number, data: Uint8Array): number {
    if (data.length === 0) return 0;
    if (!this.ops.flash.contains(addr, data.length)) return this.outOfRange(data.length);
    if (this.ahead) return this.programAhead(addr, data);
    let ms = 0;
    // Stub: erase ahead of the write, 64 KiB blocks where aligned, else 4 KiB sectors.
    const upTo = Math.min(addr + data.length, this.eraseEnd);
    while (this.eraseNext < upTo) {
      const step = this.eraseNext % BLOCK_SIZE === 0 && this.eraseEnd - this.eraseNext >= BLOCK_SIZE ? BLOCK_SIZE : SECTOR_SIZE;
      ms += this.ops.erase(this.eraseNext, this.eraseNext + step);
      this.eraseNext += step;
    }
    return ms + this.ops.program(addr, data);
  }

  /**
   * 'ahead' styles: erase what the write still needs (waiting for the flash), wait for any erase
   * still running, program. Advances the session clock; the ms returned are counted there.
   */
  private programAhead(addr: number, data: Uint8Array): number {
    const upTo = Math.min(addr + data.length, this.eraseEnd);
    while (this.eraseNext < upTo) {
      if (this.clock < this.flashFreeAt) this.clock = this.flashFreeAt;
      this.eraseStep();
    }
    if (this.clock < this.flashFreeAt) this.clock = this.flashFreeAt;
    this.clock += this.ops.program(addr, data);
    this.flashFreeAt = this.clock;
    return 0;
  }

  /**
   * One call of esp-flasher-stub's conditional erase at the session clock: while no dirty sector
   * was seen ('ahead-skip-blank'), read the next sector and step over it when blank; otherwise
   * start the next erase step (64 KiB block where aligned and room, else 4 KiB) if the flash is
   * idle, without waiting for it to finish.
   */
  private eraseStep(): void {
    if (this.eraseNext >= this.eraseEnd) return;
    if (this.params.eraseStyle === 'ahead-skip-blank' && !this.dirtySeen) {
      if (this.clock < this.flashFreeAt) this.clock = this.flashFreeAt;
      this.clock += this.ops.read(SECTOR_SIZE);
      if (isErased(this.ops.flash.read(this.eraseNext, SECTOR_SIZE))) {
        this.eraseNext += SECTOR_SIZE;
        return;
      }
      this.dirtySeen = true;
    }
    if (this.clock < this.flashFreeAt) return; // busy: try again later
    const step = this.eraseNext % BLOCK_SIZE === 0 && this.eraseEnd - this.eraseNext >= BLOCK_SIZE ? BLOCK_SIZE : SECTOR_SIZE;
    this.flashFreeAt = this.clock + this.ops.erase(this.eraseNext, this.eraseNext + step);
    this.eraseNext += step;
  }

  private outOfRange(len: number): number {
    return this.fail('spi', `write of ${len} bytes at 0x${this.writeAddr.toString(16)} runs past the end of the ${this.ops.flash.size / 1048576} MiB flash`);
  }

  private fail(fault: WriteFault, detail: string): number {
    if (!this.fault) {
      this.fault = fault;
      this.faultDetail = detail;
    }
    return 0;
  }
}

function isErased(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0xff) return false;
  return true;
}
