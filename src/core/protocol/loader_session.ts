/**
 * Typed commands of the loader protocol on top of a LoaderConnection, aware of which loader
 * answers (ROM or stub, and which stub: stub_capabilities.ts) and of the chip's facts (§2).
 */
import { DeviceError } from '../errors';
import type { ChipFacts } from '../chips';
import { LoaderConnection, type CommandReply } from './loader_connection';
import { CommandFailedError, UnsupportedCommandError } from './loader_errors';
import { Op, ROM_FLASH_BLOCK, STUB_FLASH_BLOCK, SYNC_PAYLOAD } from './opcodes';
import { createHash } from 'node:crypto';
import { dataRequest, u32le } from './packet';
import { SLIP_END, slipEncode } from './slip';
import { parseSecurityInfo, type SecurityInfo } from './security_info';
import type { StubRelease } from './stub_capabilities';
import {
  DEFAULT_TIMEOUT_MS,
  ERASE_FLASH_TIMEOUT_MS,
  ERASE_MS_PER_MB,
  MD5_MS_PER_MB,
  MEM_END_ROM_TIMEOUT_MS,
  READ_FLASH_FRAME_TIMEOUT_MS,
  SYNC_TIMEOUT_MS,
  scaledTimeout,
} from './timeouts';

export type FlashDataOp = typeof Op.FLASH_DATA | typeof Op.FLASH_DEFL_DATA | typeof Op.FLASH_ENCRYPT_DATA | typeof Op.MEM_DATA;

export interface BeginArgs {
  /** FLASH_BEGIN: bytes to erase/write; FLASH_DEFL_BEGIN: uncompressed size. */
  size: number;
  blocks: number;
  blockSize: number;
  offset: number;
  /** The 5th word (encrypt flag), exactly as the write method decided (write_method.ts); absent: 16-byte BEGIN. */
  encryptWord?: 0 | 1;
  timeoutMs?: number;
  context?: string;
}

export class LoaderSession {
  chip?: ChipFacts;
  isStub = false;
  /** What the running stub can do (known release or the conservative set); set when the stub starts. */
  stub?: StubRelease;
  secureDownloadMode = false;
  /**
   * Set (to the reason) once a compressed write failed part-way on a stub: a stub may keep
   * inflated output of the aborted stream (the legacy stub's static 32 KiB buffer position
   * survives FLASH_DEFL_BEGIN), so later writes in this session go uncompressed.
   */
  compressedWritesOff?: string;

  constructor(readonly conn: LoaderConnection) {}

  get port(): string {
    return this.conn.port;
  }

  /** Flash block size the loader takes (ROM 0x400; a stub its table's size, 0x4000 for all known; §2.2). */
  get flashBlockSize(): number {
    return this.isStub ? (this.stub?.maxBlockSize ?? STUB_FLASH_BLOCK) : ROM_FLASH_BLOCK;
  }

  // ---- basic ----

  /** One SYNC exchange: the first reply, then up to 7 more within a short window. Returns the reply values. */
  async syncOnce(timeoutMs = SYNC_TIMEOUT_MS): Promise<number[]> {
    const first = await this.conn.command(Op.SYNC, SYNC_PAYLOAD, { timeoutMs, ignoreStatus: true });
    const values = [first.value];
    for (let i = 0; i < 7; i++) {
      try {
        values.push((await this.conn.waitResponse(Op.SYNC, { timeoutMs: SYNC_TIMEOUT_MS, ignoreStatus: true })).value);
      } catch {
        break;
      }
    }
    return values;
  }

  async readReg(addr: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<number> {
    const r = await this.conn.command(Op.READ_REG, u32le(addr), { timeoutMs });
    return r.value >>> 0;
  }

  /** WRITE_REG with one or more {address, value, mask, delayUs} groups. */
  async writeRegs(groups: { addr: number; value: number; mask?: number; delayUs?: number }[]): Promise<void> {
    const words = groups.flatMap((g) => [g.addr, g.value, g.mask ?? 0xffffffff, g.delayUs ?? 0]);
    await this.conn.command(Op.WRITE_REG, u32le(...words));
  }

  async writeReg(addr: number, value: number, mask = 0xffffffff, delayUs = 0): Promise<void> {
    await this.writeRegs([{ addr, value, mask, delayUs }]);
  }

  // ---- RAM download (stub upload) ----

  async memBegin(size: number, blocks: number, blockSize: number, addr: number): Promise<void> {
    await this.conn.command(Op.MEM_BEGIN, u32le(size, blocks, blockSize, addr), { context: `loading ${size} bytes to RAM at 0x${addr.toString(16)}` });
  }

  async memData(seq: number, block: Uint8Array): Promise<void> {
    await this.sendDataWithRetries(Op.MEM_DATA, seq, block, DEFAULT_TIMEOUT_MS, 'loading the stub to RAM');
  }

  /** MEM_END {flag, entry}: flag 0 with an entry point jumps there. Errors from the ROM are ignored (§2.4). */
  async memEnd(entry: number): Promise<void> {
    const flag = entry === 0 ? 1 : 0;
    if (this.isStub) {
      await this.conn.command(Op.MEM_END, u32le(flag, entry));
      return;
    }
    try {
      await this.conn.command(Op.MEM_END, u32le(flag, entry), { timeoutMs: MEM_END_ROM_TIMEOUT_MS });
    } catch (e) {
      if (e instanceof UnsupportedCommandError) throw e;
      // The loaded code may reset the UART before the reply gets out.
    }
  }

  // ---- flash writes ----

  /** The BEGIN payload: 4 words, or 5 when the write method carries the encrypt word (§2.1, §4.3). */
  beginPayload(a: BeginArgs): Uint8Array {
    const words = [a.size, a.blocks, a.blockSize, a.offset];
    return a.encryptWord === undefined ? u32le(...words) : u32le(...words, a.encryptWord);
  }

  async flashBegin(a: BeginArgs): Promise<void> {
    const timeoutMs = a.timeoutMs ?? (this.isStub ? DEFAULT_TIMEOUT_MS : scaledTimeout(ERASE_MS_PER_MB, a.size));
    await this.conn.command(Op.FLASH_BEGIN, this.beginPayload(a), { timeoutMs, context: a.context });
  }

  async flashDeflBegin(a: BeginArgs): Promise<void> {
    const timeoutMs = a.timeoutMs ?? (this.isStub ? DEFAULT_TIMEOUT_MS : scaledTimeout(ERASE_MS_PER_MB, a.size));
    await this.conn.command(Op.FLASH_DEFL_BEGIN, this.beginPayload(a), { timeoutMs, context: a.context });
  }

  /** The SLIP frame of a _DATA block, made ahead of sending it (sendFrame). */
  dataFrame(op: FlashDataOp, seq: number, block: Uint8Array): Uint8Array {
    return slipEncode(dataRequest(op, seq, block));
  }

  /** Send a frame made by dataFrame without waiting. */
  async sendFrame(frame: Uint8Array): Promise<void> {
    await this.conn.writeEncoded(frame);
  }

  /**
   * Send one SLIP END byte. A loader still reading a frame whose END was lost ends it here (the
   * ESP32 and ESP32-C3 ROMs answer it with error 0x05); an idle loader ignores it.
   */
  async endPartialFrame(): Promise<void> {
    await this.conn.writeEncoded(Uint8Array.of(SLIP_END));
  }

  /** Send one _DATA block without waiting (pipelined writers). */
  async sendData(op: FlashDataOp, seq: number, block: Uint8Array): Promise<void> {
    await this.sendFrame(this.dataFrame(op, seq, block));
  }

  async waitData(op: FlashDataOp, timeoutMs: number, context?: string): Promise<CommandReply> {
    return this.conn.waitResponse(op, { timeoutMs, context });
  }

  /**
   * Send a _DATA block and wait for its reply; a failed or unanswered block is re-sent, at
   * most 3 attempts in total (§2.4). Cancellation and "unsupported" are not retried.
   */
  async sendDataWithRetries(op: FlashDataOp, seq: number, block: Uint8Array, timeoutMs: number, context?: string): Promise<void> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        await this.sendData(op, seq, block);
        await this.waitData(op, timeoutMs, context);
        return;
      } catch (e) {
        lastError = e;
        if (e instanceof UnsupportedCommandError || this.conn.aborted) throw e;
        if (e instanceof CommandFailedError && !retryable(e)) throw e;
        if (attempt < 3) await this.conn.drain(50);
      }
    }
    throw lastError;
  }

  /** FLASH_END / FLASH_DEFL_END {0 = reboot / run user code, 1 = stay}. */
  async flashEnd(op: typeof Op.FLASH_END | typeof Op.FLASH_DEFL_END, stay: boolean, timeoutMs = DEFAULT_TIMEOUT_MS, context?: string): Promise<void> {
    await this.conn.command(op, u32le(stay ? 1 : 0), { timeoutMs, context });
  }

  // ---- SPI flash set-up ----

  /** SPI_ATTACH: the ROM takes 8 bytes (pin config + 4 zero bytes), a stub 4 (§2). */
  async spiAttach(pinConfig = 0): Promise<void> {
    const data = this.isStub ? u32le(pinConfig) : u32le(pinConfig, 0);
    await this.conn.command(Op.SPI_ATTACH, data);
  }

  async spiSetParams(totalSize: number): Promise<void> {
    await this.conn.command(Op.SPI_SET_PARAMS, u32le(0, totalSize, 0x10000, 0x1000, 0x100, 0xffff));
  }

  /** CHANGE_BAUDRATE {new, old (stub) or 0 (ROM)}; the reply is not status-checked (§2.7). */
  async changeBaud(newBaud: number, oldBaud: number): Promise<void> {
    await this.conn.command(Op.CHANGE_BAUDRATE, u32le(newBaud, this.isStub ? oldBaud : 0), { ignoreStatus: true });
  }

  // ---- reading ----

  /** SPI_FLASH_MD5 of a flash region as lowercase hex (ROM: 32 hex chars; stub: 16 raw bytes; §2.5). */
  async flashMd5(addr: number, size: number, context?: string): Promise<string> {
    const timeoutMs = scaledTimeout(MD5_MS_PER_MB, size);
    const r = await this.conn.command(Op.SPI_FLASH_MD5, u32le(addr, size, 0, 0), { timeoutMs, payload: this.isStub ? 16 : 32, context });
    if (this.isStub) return Buffer.from(r.payload).toString('hex');
    return Buffer.from(r.payload).toString('latin1').toLowerCase();
  }

  /**
   * SPI_FLASH_MD5 of several regions, in order, one request at a time. Not pipelined: esptool's
   * legacy stub (set 1) drops a request that arrives while it is hashing — on Espressif's QEMU
   * ESP32 with the real ROM, 4 queued requests got 3 replies — so a second one in flight only
   * saves a round trip where that is safe, and no loader is known to make it safe.
   */
  async flashMd5Many(regions: { addr: number; size: number }[], context?: string): Promise<string[]> {
    const out: string[] = [];
    for (const r of regions) out.push(await this.flashMd5(r.addr, r.size, context));
    return out;
  }

  async getSecurityInfo(): Promise<SecurityInfo> {
    const r = await this.conn.command(Op.GET_SECURITY_INFO, new Uint8Array(0), { payload: [20, 12] });
    return parseSecurityInfo(r.payload);
  }

  /** ROM READ_FLASH_SLOW: up to 64 bytes per command (§2). */
  async readFlashSlow(addr: number, length: number, onProgress?: (done: number) => void): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    for (let done = 0; done < length;) {
      const n = Math.min(64, length - done);
      const r = await this.conn.command(Op.READ_FLASH_SLOW, u32le(addr + done, n), { payload: 64 });
      out.set(r.payload.subarray(0, n), done);
      done += n;
      onProgress?.(done);
    }
    return out;
  }

  /** Stub READ_FLASH with its acknowledgement protocol and final MD5 check (§2.6). */
  async readFlashStub(addr: number, length: number, onProgress?: (done: number) => void): Promise<Uint8Array> {
    const packetSize = 0x1000;
    await this.conn.command(Op.READ_FLASH, u32le(addr, length, packetSize, 64));
    const out = new Uint8Array(length);
    let got = 0;
    while (got < length) {
      const frame = await this.conn.readFrame(READ_FLASH_FRAME_TIMEOUT_MS, `flash data at 0x${(addr + got).toString(16)}`);
      if (frame.length < packetSize && got + frame.length < length) {
        throw new DeviceError(`READ_FLASH: short data frame (${frame.length} bytes) at 0x${(addr + got).toString(16)}; the link dropped bytes. Retry at a lower baud rate.`);
      }
      const n = Math.min(frame.length, length - got);
      out.set(frame.subarray(0, n), got);
      got += n;
      await this.conn.writeFrame(u32le(got));
      onProgress?.(got);
    }
    const digest = await this.conn.readFrame(READ_FLASH_FRAME_TIMEOUT_MS, 'the READ_FLASH digest');
    const actual = createHash('md5').update(out).digest();
    if (digest.length !== 16 || !actual.equals(Buffer.from(digest))) {
      throw new DeviceError(
        `READ_FLASH of 0x${length.toString(16)} bytes at 0x${addr.toString(16)}: the data does not match the chip's MD5; the link corrupted data. Retry at a lower baud rate.`,
      );
    }
    return out;
  }

  // ---- stub-only ----

  async eraseFlash(): Promise<void> {
    await this.conn.command(Op.ERASE_FLASH, new Uint8Array(0), { timeoutMs: ERASE_FLASH_TIMEOUT_MS, context: 'erasing the whole flash' });
  }

  async eraseRegion(addr: number, size: number): Promise<void> {
    await this.conn.command(Op.ERASE_REGION, u32le(addr, size), {
      timeoutMs: scaledTimeout(ERASE_MS_PER_MB, size),
      context: `erasing 0x${size.toString(16)} bytes at 0x${addr.toString(16)}`,
    });
  }

  /** RUN_USER_CODE (stub): no response. */
  async runUserCode(): Promise<void> {
    await this.conn.send(Op.RUN_USER_CODE, new Uint8Array(0));
  }
}

/** Status codes a re-send can cure (checksum, lost bytes); others (flash failures, bad length) cannot. */
function retryable(e: CommandFailedError): boolean {
  if (e.status === 0x01) return e.errorCode === 0x07 || e.errorCode === 0x04 || e.errorCode === 0x05;
  return e.status === 0xc1 || e.status === 0xc0;
}
