/**
 * The device side of the serial loader protocol: what the ROM loader and the flasher stub
 * answer to each request frame (spec §1–§4, §12). Time is not handled here: each result says
 * how long the flash work takes and whether the reply waits for it (ROM) or not (stub); the
 * virtual chip schedules accordingly.
 */
import * as crypto from 'node:crypto';
import { CHIP_MAGIC_REG, ChipFacts } from '../core/chips';
import { knownStubImages, stubImageHash } from '../core/protocol/stub_capabilities';
import { Efuses } from './efuses';
import { FlashOps } from './flash_ops';
import { FlashWriteSession, StubEraseStyle, WriteFault } from './flash_write_session';
import { SECTOR_SIZE } from './flash_memory';
import { buildResponse, LoaderRequest, OP, parseRequest, ROM_SYNC_VALUE, SYNC_BODY, u32, u32Words, xorChecksum } from './loader_packets';
import { failStatus, LoaderKind, okStatus, ROM_ERR, STUB_ERR } from './loader_status';
import { ReadFlashStream } from './read_flash_stream';
import { countCommand, SimStats } from './sim_stats';
import { SpiFlashRegisters } from './spi_flash_regs';

/**
 * How a running stub behaves (each modelled from its published source):
 *  - 'current': esp-flasher-stub v0.7.0 … v1.2.2 (src/command_handler.c): 16- or 20-byte BEGIN
 *    (5th word = encrypt), no 0xD4 (0xC300), a failed background write answers the NEXT command
 *    of any kind with its code and that command is not executed, FLASH_END short of data 0xC000.
 *  - 'legacy-1.10': esptool-legacy-flasher-stub v1.10.0 … v1.11.1 (flasher_stub/stub_flasher.c
 *    cmd_loop): 16- or 20-byte BEGIN, 0xD4 kept, block size > 0x4000 → 0xC200, a failed write
 *    answers the next data block, FLASH_END short of data 0xC800, unknown commands 0xFF00.
 *  - 'legacy': the legacy stub before v1.10: as 'legacy-1.10' but BEGIN takes 16 bytes only
 *    (20 → 0xC000), encryption only through 0xD4.
 */
export type StubGeneration = 'legacy' | 'legacy-1.10' | 'current';

/**
 * How each known release erases while writing (see StubEraseStyle), from its source: the legacy
 * stub on demand; esp-flasher-stub ahead of the data since v0.2.0, skipping blank sectors since
 * v1.1.0 (v0.7.0 is esptool 4.12's set 2, v1.2.2 the build esptool-js 0.7 ships).
 */
const ERASE_STYLES: Readonly<Record<string, StubEraseStyle>> = {
  'esptool-legacy-flasher-stub v1.11.1': 'on-demand',
  'esp-flasher-stub v0.7.0': 'ahead',
  'esp-flasher-stub v1.2.2': 'ahead-skip-blank',
};

function eraseStyleOf(releaseName: string): StubEraseStyle {
  return ERASE_STYLES[releaseName] ?? (releaseName.startsWith('esptool-legacy-flasher-stub') ? 'on-demand' : 'ahead');
}

/** The model of a stub image this chip recognises by its hash (the images esptool-js 0.7 and esptool 4.12 upload). */
const KNOWN_STUB_MODELS = new Map<string, { model: StubGeneration; erase: StubEraseStyle }>(
  knownStubImages().map((k) => [k.hash, { model: k.release.name.startsWith('esptool-legacy-flasher-stub') ? 'legacy-1.10' : 'current', erase: eraseStyleOf(k.release.name) }]),
);

/** Erase style of an unrecognised stub: esp-flasher-stub's oldest behaviour for 'current', else on demand. */
function unknownEraseStyle(model: StubGeneration): StubEraseStyle {
  return model === 'current' ? 'ahead' : 'on-demand';
}

/** The model for an uploaded image: by identity, else the chip's setting for unrecognised code. */
export function stubModelFor(image: Uint8Array, unknownModel: StubGeneration): { model: StubGeneration; known: boolean; erase: StubEraseStyle } {
  const known = KNOWN_STUB_MODELS.get(stubImageHash(image));
  return known ? { ...known, known: true } : { model: unknownModel, known: false, erase: unknownEraseStyle(unknownModel) };
}

/** What the chip does once the replies are out. */
export type ChipAction = { kind: 'enter-stub' } | { kind: 'reboot' } | { kind: 'run-user-code' } | { kind: 'change-baud'; baud: number };

export interface HandlerResult {
  /** Frame payloads to SLIP-encode and send, in order (responses and raw frames). */
  replies: Uint8Array[];
  /** Modelled flash work in ms. */
  workMs: number;
  /** ROM: the reply waits for the work. Stub data blocks: reply first, work in the background. */
  replyAfterWork: boolean;
  action?: ChipAction;
  /** Opcode of the request (undefined for READ_FLASH acknowledgements). */
  op?: number;
}

/** The ROM repeats its "unsupported command" reply (spec §1.3: up to 8 times). */
export const UNSUPPORTED_REPLY_REPEATS = 8;
/** Opcode field of the ROM's "unsupported command" reply: deliberately not the request's. */
export const UNSUPPORTED_REPLY_OPCODE = 0x00;
export const ROM_MAX_DATA_BLOCK = 0x400;
export const STUB_MAX_DATA_BLOCK = 0x4000;
export const READ_FLASH_SLOW_BYTES = 64;
/** Text the stub sends as a raw frame when it starts. */
export const STUB_GREETING = Uint8Array.from([0x4f, 0x48, 0x41, 0x49]); // "OHAI"

export interface LoaderDeps {
  chip: ChipFacts;
  ops: FlashOps;
  efuses: Efuses;
  spi: SpiFlashRegisters;
  stats: SimStats;
  /** How an uploaded image the chip does not recognise behaves. */
  unknownStub: StubGeneration;
  /** Extra registers (generic RAM/peripheral words written with WRITE_REG). */
  registers: Map<number, number>;
  /** The chip's UART baud rate now (its UART clock divider register follows it). */
  uartBaud?: () => number;
  /** The chip's clock in ms (performance.now() on the virtual chip); times background flash work. */
  now?: () => number;
}

interface MemSession {
  size: number;
  received: number;
}

/** Largest RAM image kept for identifying an uploaded stub (stubs are tens of KiB). */
const MAX_RAM_IMAGE = 0x40000;

type Handler = (req: LoaderRequest) => HandlerResult | undefined;

export class LoaderCommands {
  private kind: LoaderKind = 'rom';
  private session?: FlashWriteSession;
  /**
   * The ROM's next expected data sequence number. As Espressif's ESP32 and ESP32-C3 ROMs do
   * (observed in QEMU): a block that fails its checksum is not written but its number is used
   * up, so the same block sent again is refused (0x05) and the next number is written where the
   * skipped block belonged.
   */
  private romNextSeq = 0;
  private mem?: MemSession;
  /** Everything MEM_DATA delivered since the last MEM_END (text, then data: the stub's identity). */
  private ramImage: Uint8Array[] = [];
  private ramImageBytes = 0;
  /** The model of the stub now running. */
  private stubModel: StubGeneration;
  /** How the running stub schedules erases while writing. */
  private stubErase: StubEraseStyle;
  /** Chip time (ms) when an erase the stub started ahead of its data ends. */
  private flashIdleAt = 0;
  /** The running stub was recognised by its image. */
  stubKnown = false;
  /** Every stub started since power-on, in order (kept across resets, for tests and logs). */
  readonly stubsStarted: { model: StubGeneration; known: boolean }[] = [];
  private readStream?: ReadFlashStream;
  /** Stub pipelining: a write error waiting to be reported (16-bit stub code). */
  private pendingError?: number;
  /** Detail of the last write failure, for logs. */
  lastFaultDetail = '';
  private readonly handlers: Record<number, Handler>;

  constructor(private readonly d: LoaderDeps) {
    this.stubModel = d.unknownStub;
    this.stubErase = unknownEraseStyle(d.unknownStub);
    this.handlers = {
      [OP.FLASH_BEGIN]: (r) => this.flashBegin(r, false),
      [OP.FLASH_DEFL_BEGIN]: (r) => this.flashBegin(r, true),
      [OP.FLASH_DATA]: (r) => this.flashData(r, false, false),
      [OP.FLASH_DEFL_DATA]: (r) => this.flashData(r, true, false),
      [OP.FLASH_ENCRYPT_DATA]: (r) => this.flashData(r, false, true),
      [OP.FLASH_END]: (r) => this.flashEnd(r),
      [OP.FLASH_DEFL_END]: (r) => this.flashEnd(r),
      [OP.MEM_BEGIN]: (r) => this.memBegin(r),
      [OP.MEM_DATA]: (r) => this.memData(r),
      [OP.MEM_END]: (r) => this.memEnd(r),
      [OP.SYNC]: (r) => this.sync(r),
      [OP.WRITE_REG]: (r) => this.writeReg(r),
      [OP.READ_REG]: (r) => this.readReg(r),
      [OP.SPI_SET_PARAMS]: (r) => this.simple(r, 24),
      [OP.SPI_ATTACH]: (r) => this.simple(r, this.kind === 'rom' ? 8 : 4),
      [OP.READ_FLASH_SLOW]: (r) => this.readFlashSlow(r),
      [OP.CHANGE_BAUDRATE]: (r) => this.changeBaud(r),
      [OP.SPI_FLASH_MD5]: (r) => this.md5(r),
      [OP.GET_SECURITY_INFO]: (r) => this.securityInfo(r),
      [OP.ERASE_FLASH]: (r) => this.eraseFlash(r),
      [OP.ERASE_REGION]: (r) => this.eraseRegion(r),
      [OP.READ_FLASH]: (r) => this.readFlash(r),
      [OP.RUN_USER_CODE]: () => ({ replies: [], workMs: 0, replyAfterWork: false, action: { kind: 'run-user-code' } }),
    };
  }

  get inStub(): boolean {
    return this.kind === 'stub';
  }

  get loaderKind(): LoaderKind {
    return this.kind;
  }

  /** Model of the running stub (meaningful while inStub). */
  get stubGeneration(): StubGeneration {
    return this.stubModel;
  }

  /** Chip reset: back to the ROM loader, all sessions dropped. */
  reset(): void {
    this.kind = 'rom';
    this.session = undefined;
    this.mem = undefined;
    this.readStream = undefined;
    this.pendingError = undefined;
    this.ramImage = [];
    this.ramImageBytes = 0;
  }

  /** The stub has started (after MEM_END with an entry point): it runs what was uploaded. */
  enterStub(): void {
    const image = Buffer.concat(this.ramImage);
    const { model, known, erase } = stubModelFor(image, this.d.unknownStub);
    this.reset();
    this.kind = 'stub';
    this.stubModel = model;
    this.stubErase = erase;
    this.stubKnown = known;
    this.stubsStarted.push({ model, known });
  }

  /** Does the loader now running answer this opcode? */
  supports(op: number): boolean {
    const c = this.d.chip;
    const base: number[] = [OP.FLASH_BEGIN, OP.FLASH_DATA, OP.FLASH_END, OP.MEM_BEGIN, OP.MEM_DATA, OP.MEM_END, OP.SYNC, OP.WRITE_REG, OP.READ_REG];
    if (base.includes(op)) return true;
    const esp32Set: number[] = [OP.SPI_SET_PARAMS, OP.SPI_ATTACH, OP.CHANGE_BAUDRATE, OP.FLASH_DEFL_BEGIN, OP.FLASH_DEFL_DATA, OP.FLASH_DEFL_END, OP.SPI_FLASH_MD5];
    if (op === OP.GET_SECURITY_INFO) return c.securityInfo !== 'none';
    if (this.kind === 'rom') {
      if (!c.romHasEsp32Commands) return false;
      return esp32Set.includes(op) || op === OP.READ_FLASH_SLOW;
    }
    if (esp32Set.includes(op)) return true;
    if (([OP.ERASE_FLASH, OP.ERASE_REGION, OP.READ_FLASH, OP.RUN_USER_CODE] as number[]).includes(op)) return true;
    if (op === OP.FLASH_ENCRYPT_DATA) return this.stubModel !== 'current' && c.cryptScheme !== 'none';
    return false;
  }

  /**
   * Handle one received SLIP frame. Returns undefined when the frame is not a request the
   * loader reacts to (noise, half frames, a SYNC with a wrong body, a stray acknowledgement).
   */
  handleFrame(frame: Uint8Array): HandlerResult | undefined {
    if (this.readStream) {
      const stream = this.readStream;
      const before = stream.sentBytes;
      const out = stream.onFrame(frame);
      if (!out) return undefined;
      if (stream.done) this.readStream = undefined;
      // Each packet is read from flash before it is sent; the stub's blocking UART writes do not
      // overlap the reads, so the time adds up (the whole batch waits here: same total).
      return { replies: out, workMs: this.d.ops.read(stream.sentBytes - before), replyAfterWork: true };
    }
    const req = parseRequest(frame);
    if (!req) return undefined;
    if (req.op === OP.SYNC && !sameBytes(req.data, SYNC_BODY)) return undefined;
    countCommand(this.d.stats, req.op);
    // esp-flasher-stub answers the next command of any kind with an accumulated write error and
    // does not execute that command (handle_command: "send that error and skip command execution").
    const accumulated = this.kind === 'stub' && this.stubModel === 'current' ? this.takePending() : undefined;
    if (accumulated !== undefined) return { ...this.failed(req.op, 0, accumulated), op: req.op };
    const res = this.supports(req.op) ? this.handlers[req.op](req) : this.unsupported(req.op);
    if (!res) return undefined;
    res.op = req.op;
    return res;
  }

  /** A reply with a failure status for `op` (fault injection uses it too). */
  failureReply(op: number, romCode: number, stubCode: number, value = 0): Uint8Array {
    return buildResponse(op, value, new Uint8Array(0), this.fail(romCode, stubCode));
  }

  private now(): number {
    return this.d.now ? this.d.now() : 0;
  }

  /** Ms until an erase a stub started ahead of its data has finished (MD5, READ_FLASH and READ_FLASH_SLOW wait for it). */
  private flashBusyMs(): number {
    return Math.max(0, this.flashIdleAt - this.now());
  }

  private ok(): Uint8Array {
    return okStatus(this.kind, this.d.chip.romStatusLength);
  }

  private fail(romCode: number, stubCode: number): Uint8Array {
    return failStatus(this.kind, this.d.chip.romStatusLength, romCode, stubCode);
  }

  private reply(op: number, status: Uint8Array, payload: Uint8Array = new Uint8Array(0), value = 0): HandlerResult {
    return { replies: [buildResponse(op, value, payload, status)], workMs: 0, replyAfterWork: false };
  }

  private failed(op: number, romCode: number, stubCode: number): HandlerResult {
    return this.reply(op, this.fail(romCode, stubCode));
  }

  private badLength(op: number): HandlerResult {
    return this.failed(op, ROM_ERR.BAD_FORMAT, STUB_ERR.BAD_DATA_LEN);
  }

  private takePending(): number | undefined {
    const p = this.pendingError;
    this.pendingError = undefined;
    return p;
  }

  private unsupported(op: number): HandlerResult {
    if (this.kind === 'rom') {
      const frame = buildResponse(UNSUPPORTED_REPLY_OPCODE, 0, new Uint8Array(0), this.fail(ROM_ERR.BAD_FORMAT, 0));
      return { replies: copies(frame, UNSUPPORTED_REPLY_REPEATS), workMs: 0, replyAfterWork: false };
    }
    // GET_SECURITY_INFO on a chip without it: both stubs answer "not implemented" (esp-flasher-stub:
    // stub_lib NOT_SUPPORTED → RESPONSE_CMD_NOT_IMPLEMENTED; legacy: no case below ESP32-S2).
    const code = this.stubModel === 'current' && op !== OP.GET_SECURITY_INFO ? STUB_ERR.INVALID_COMMAND : STUB_ERR.CMD_NOT_IMPLEMENTED;
    return this.failed(op, 0, code);
  }

  private simple(req: LoaderRequest, length: number): HandlerResult {
    if (req.data.length !== length) return this.badLength(req.op);
    return this.reply(req.op, this.ok());
  }

  private sync(req: LoaderRequest): HandlerResult {
    const value = this.kind === 'rom' ? ROM_SYNC_VALUE : 0;
    const frame = buildResponse(req.op, value, new Uint8Array(0), this.ok());
    return { replies: copies(frame, 8), workMs: 0, replyAfterWork: false };
  }

  // ---- registers -------------------------------------------------------------------------

  /** Value READ_REG returns for an address. */
  readRegister(addr: number): number {
    const a = addr >>> 0;
    if (a === CHIP_MAGIC_REG) return this.d.chip.magicValues[0] >>> 0;
    const fuse = this.d.efuses.readReg(a);
    if (fuse !== undefined) return fuse;
    const xtal = this.d.chip.identity.crystal;
    if ('uartClkDiv' in xtal && a === xtal.uartClkDiv && this.d.uartBaud) {
      // UART_CLKDIV = UART clock / baud; the UART clock is the crystal (ESP8266: twice it).
      return Math.round((this.d.efuses.crystalMHz * 1e6 * xtal.xtalClkDivider) / this.d.uartBaud()) & 0xfffff;
    }
    if (this.d.spi.owns(a)) return this.d.spi.read(a);
    return this.d.registers.get(a) ?? 0;
  }

  private readReg(req: LoaderRequest): HandlerResult {
    if (req.data.length !== 4) return this.badLength(req.op);
    return this.reply(req.op, this.ok(), new Uint8Array(0), this.readRegister(u32(req.data, 0)));
  }

  private writeReg(req: LoaderRequest): HandlerResult {
    if (req.data.length === 0 || req.data.length % 16 !== 0) return this.badLength(req.op);
    let delayUs = 0;
    for (let i = 0; i < req.data.length; i += 16) {
      const [addr, value, mask, delay] = u32Words(req.data.subarray(i, i + 16));
      delayUs += delay;
      if (this.d.efuses.owns(addr) || addr === CHIP_MAGIC_REG) continue; // read-only
      const merged = ((this.readRegister(addr) & ~mask) | (value & mask)) >>> 0;
      if (this.d.spi.owns(addr)) this.d.spi.write(addr, merged);
      else this.d.registers.set(addr >>> 0, merged);
    }
    return { ...this.reply(req.op, this.ok()), workMs: delayUs / 1000, replyAfterWork: true };
  }

  // ---- RAM download ----------------------------------------------------------------------

  private memBegin(req: LoaderRequest): HandlerResult {
    if (req.data.length !== 16) return this.badLength(req.op);
    const [size] = u32Words(req.data);
    this.mem = { size, received: 0 };
    return this.reply(req.op, this.ok());
  }

  private memData(req: LoaderRequest): HandlerResult {
    const block = this.dataBlock(req, 0x4000);
    if ('error' in block) return block.error;
    if (!this.mem) return this.failed(req.op, ROM_ERR.INVALID_PARAM, STUB_ERR.NOT_IN_FLASH_MODE);
    if (this.mem.received + block.payload.length > this.mem.size) {
      return this.failed(req.op, ROM_ERR.RAM_SIZE, STUB_ERR.TOO_MUCH_DATA);
    }
    this.mem.received += block.payload.length;
    if (this.ramImageBytes + block.payload.length <= MAX_RAM_IMAGE) {
      this.ramImage.push(block.payload.slice());
      this.ramImageBytes += block.payload.length;
    }
    return { ...this.reply(req.op, this.ok()), workMs: this.d.ops.ramLoad(block.payload.length), replyAfterWork: true };
  }

  private memEnd(req: LoaderRequest): HandlerResult {
    if (req.data.length !== 8) return this.badLength(req.op);
    const [flag, entry] = u32Words(req.data);
    this.mem = undefined;
    const res = this.reply(req.op, this.ok());
    if (flag === 0 && entry !== 0) res.action = { kind: 'enter-stub' };
    return res;
  }

  // ---- flash writes ----------------------------------------------------------------------

  private flashBegin(req: LoaderRequest, compressed: boolean): HandlerResult {
    const c = this.d.chip;
    const n = req.data.length;
    const rom = this.kind === 'rom';
    const lengthOk = rom ? n === 16 || (n === 20 && c.romEncryptedFlag) : n === 16 || (n === 20 && this.stubModel !== 'legacy');
    if (!lengthOk) return this.badLength(req.op);
    const [size, numBlocks, blockSize, offset, encryptedWord] = u32Words(req.data);
    const encrypted = n === 20 && encryptedWord !== 0;
    if (!rom) this.pendingError = undefined; // legacy: a new BEGIN starts clean
    // The legacy stub checks block_size against MAX_WRITE_BLOCK; esp-flasher-stub does not look at it.
    if (!rom && this.stubModel !== 'current' && blockSize > STUB_MAX_DATA_BLOCK) {
      this.session = undefined;
      return this.failed(req.op, 0, STUB_ERR.BAD_BLOCKSIZE);
    }
    if (!this.d.ops.flash.contains(offset, size)) {
      this.session = undefined;
      return this.failed(req.op, ROM_ERR.INVALID_PARAM, STUB_ERR.BAD_DATA_LEN);
    }
    this.romNextSeq = 0;
    this.session = new FlashWriteSession(
      { offset, size, blockSize, numBlocks, compressed, encrypted, style: this.kind, encryptAlign: Math.max(16, c.encryptedWriteAlign), eraseStyle: this.stubErase },
      this.d.ops,
      { cipher: () => this.d.efuses.cipher(), allowed: () => !this.d.efuses.downloadEncryptDisabled },
    );
    if (rom) {
      const ms = this.session.eraseAll();
      return { ...this.reply(req.op, this.ok()), workMs: ms, replyAfterWork: true };
    }
    const ms = this.session.begin(this.now());
    this.flashIdleAt = this.session.flashIdleAt();
    return { ...this.reply(req.op, this.ok()), workMs: ms, replyAfterWork: true };
  }

  /** Parse the 16-byte data header + payload and check length and checksum. */
  private dataBlock(req: LoaderRequest, maxLen: number): { payload: Uint8Array } | { error: HandlerResult; badChecksum?: true } {
    if (req.data.length < 16) return { error: this.badLength(req.op) };
    const len = u32(req.data, 0);
    const payload = req.data.subarray(16);
    if (len !== payload.length) return { error: this.badLength(req.op) };
    if (len > maxLen) {
      return { error: this.failed(req.op, ROM_ERR.BAD_FORMAT, STUB_ERR.BAD_BLOCKSIZE) };
    }
    if ((xorChecksum(payload) & 0xff) !== (req.checksum & 0xff) || req.checksum >>> 8 !== 0) {
      return { error: this.failed(req.op, ROM_ERR.CHECKSUM, STUB_ERR.BAD_DATA_CHECKSUM), badChecksum: true };
    }
    return { payload };
  }

  private flashData(req: LoaderRequest, compressed: boolean, encryptBlock: boolean): HandlerResult {
    const rom = this.kind === 'rom';
    if (rom && this.session && req.data.length >= 16 && u32(req.data, 4) !== this.romNextSeq) {
      return this.failed(req.op, ROM_ERR.BAD_FORMAT, 0);
    }
    const block = this.dataBlock(req, rom ? ROM_MAX_DATA_BLOCK : STUB_MAX_DATA_BLOCK);
    if ('error' in block) {
      if (rom && this.session && block.badChecksum) this.romNextSeq++;
      return block.error;
    }
    if (rom) this.romNextSeq++;
    const s = this.session;
    if (!s || s.params.compressed !== compressed) {
      return this.failed(req.op, ROM_ERR.INVALID_PARAM, STUB_ERR.NOT_IN_FLASH_MODE);
    }
    if (!rom && this.stubModel !== 'current' && this.pendingError !== undefined) {
      return this.reply(req.op, this.fail(0, this.pendingError));
    }
    const hadFault = s.fault !== undefined;
    const ms = s.feed(block.payload, encryptBlock, this.now());
    this.flashIdleAt = Math.max(this.flashIdleAt, s.flashIdleAt());
    if (rom) {
      if (s.fault && !hadFault) {
        this.lastFaultDetail = s.faultDetail;
        return { ...this.failed(req.op, romCodeFor(s.fault), 0), workMs: ms, replyAfterWork: true };
      }
      if (s.fault) return this.failed(req.op, romCodeFor(s.fault), 0);
      return { ...this.reply(req.op, this.ok()), workMs: ms, replyAfterWork: true };
    }
    if (s.fault && !hadFault) {
      this.lastFaultDetail = s.faultDetail;
      this.pendingError = stubCodeFor(s.fault);
    }
    // The stub acknowledges first and writes while the next block arrives (spec §1.6, §9).
    return { ...this.reply(req.op, this.ok()), workMs: ms, replyAfterWork: false };
  }

  private flashEnd(req: LoaderRequest): HandlerResult {
    if (req.data.length !== 4) return this.badLength(req.op);
    const stay = u32(req.data, 0) !== 0;
    const s = this.session;
    this.session = undefined;
    if (this.kind === 'rom') {
      // The ROM leaves the loader: 0 = reboot, 1 = run the user code in flash.
      const res = this.reply(req.op, this.ok());
      res.action = stay ? { kind: 'run-user-code' } : { kind: 'reboot' };
      return res;
    }
    let code: number | undefined = this.pendingError;
    this.pendingError = undefined;
    if (code === undefined && s) {
      const fault = s.finish();
      if (fault) {
        this.lastFaultDetail = s.faultDetail;
        code = stubCodeFor(fault);
      } else if (!s.complete) {
        this.lastFaultDetail = `FLASH_END after ${s.produced} of ${s.params.size} bytes`;
        code = this.stubModel === 'current' ? STUB_ERR.BAD_DATA_LEN : STUB_ERR.NOT_ENOUGH_DATA;
      }
    }
    const res = this.reply(req.op, code === undefined ? this.ok() : this.fail(0, code));
    if (!stay) res.action = { kind: 'reboot' };
    return res;
  }

  // ---- reads, MD5, erase -----------------------------------------------------------------

  private readFlashSlow(req: LoaderRequest): HandlerResult {
    if (req.data.length !== 8) return this.badLength(req.op);
    const [offset, length] = u32Words(req.data);
    if (length > READ_FLASH_SLOW_BYTES) return this.failed(req.op, ROM_ERR.READ_LENGTH, 0);
    if (!this.d.ops.flash.contains(offset, length)) return this.failed(req.op, ROM_ERR.FLASH_READ, 0);
    const payload = new Uint8Array(READ_FLASH_SLOW_BYTES);
    payload.set(this.d.ops.flash.read(offset, length));
    return { ...this.reply(req.op, this.ok(), payload), workMs: this.flashBusyMs() + this.d.ops.read(length), replyAfterWork: true };
  }

  private md5(req: LoaderRequest): HandlerResult {
    if (req.data.length !== 16) return this.badLength(req.op);
    const [addr, size] = u32Words(req.data);
    if (!this.d.ops.flash.contains(addr, size)) return this.failed(req.op, ROM_ERR.FLASH_READ, STUB_ERR.FAILED_SPI_OP);
    const digest = crypto
      .createHash('md5')
      .update(this.d.ops.flash.bytes.subarray(addr, addr + size))
      .digest();
    const payload = this.kind === 'rom' ? new TextEncoder().encode(digest.toString('hex')) : new Uint8Array(digest);
    // The loader reads and hashes the whole region before it answers (after an erase still running).
    return { ...this.reply(req.op, this.ok(), payload), workMs: this.flashBusyMs() + this.d.ops.md5(size), replyAfterWork: true };
  }

  private securityInfo(req: LoaderRequest): HandlerResult {
    const info = this.d.efuses.securityInfo();
    if (!info) return this.unsupported(req.op);
    return this.reply(req.op, this.ok(), info);
  }

  private changeBaud(req: LoaderRequest): HandlerResult {
    if (req.data.length !== 8) return this.badLength(req.op);
    const baud = u32(req.data, 0);
    if (baud < 300 || baud > 5_000_000) return this.failed(req.op, ROM_ERR.INVALID_PARAM, STUB_ERR.BAD_DATA_LEN);
    const res = this.reply(req.op, this.ok());
    res.action = { kind: 'change-baud', baud };
    return res;
  }

  private eraseFlash(req: LoaderRequest): HandlerResult {
    if (req.data.length !== 0) return this.badLength(req.op);
    const ms = this.d.ops.chipErase();
    return { ...this.reply(req.op, this.ok()), workMs: ms, replyAfterWork: true };
  }

  private eraseRegion(req: LoaderRequest): HandlerResult {
    if (req.data.length !== 8) return this.badLength(req.op);
    const [offset, size] = u32Words(req.data);
    const legacy = this.stubModel !== 'current';
    if (offset % SECTOR_SIZE !== 0) return this.failed(req.op, 0, legacy ? STUB_ERR.LEGACY_ERASE_ADDR_ALIGN : STUB_ERR.BAD_DATA_LEN);
    if (size % SECTOR_SIZE !== 0) return this.failed(req.op, 0, legacy ? STUB_ERR.LEGACY_ERASE_LEN_ALIGN : STUB_ERR.BAD_DATA_LEN);
    if (!this.d.ops.flash.contains(offset, size)) {
      return this.failed(req.op, 0, legacy ? STUB_ERR.LEGACY_ERASE_FAILED : STUB_ERR.FAILED_SPI_OP);
    }
    const ms = this.d.ops.erase(offset, offset + size);
    return { ...this.reply(req.op, this.ok()), workMs: ms, replyAfterWork: true };
  }

  private readFlash(req: LoaderRequest): HandlerResult {
    if (req.data.length !== 16) return this.badLength(req.op);
    const [offset, length, packetSize, maxInFlight] = u32Words(req.data);
    if (packetSize === 0 || maxInFlight === 0 || packetSize > STUB_MAX_DATA_BLOCK) return this.badLength(req.op);
    if (!this.d.ops.flash.contains(offset, length)) return this.failed(req.op, 0, STUB_ERR.FAILED_SPI_OP);
    const stream = new ReadFlashStream(this.d.ops.flash.read(offset, length), packetSize, maxInFlight);
    const res = this.reply(req.op, this.ok());
    res.replies.push(...stream.start());
    if (!stream.done) this.readStream = stream;
    return { ...res, workMs: this.flashBusyMs() + this.d.ops.read(stream.sentBytes), replyAfterWork: true };
  }
}

function romCodeFor(fault: WriteFault): number {
  return fault === 'inflate' ? ROM_ERR.DEFLATE : fault === 'too-much' ? ROM_ERR.INVALID_PARAM : ROM_ERR.FLASH_WRITE;
}

function stubCodeFor(fault: WriteFault): number {
  return fault === 'inflate' ? STUB_ERR.INFLATE_ERROR : fault === 'too-much' ? STUB_ERR.TOO_MUCH_DATA : STUB_ERR.FAILED_SPI_OP;
}

function copies(frame: Uint8Array, n: number): Uint8Array[] {
  return Array.from({ length: n }, () => frame.slice());
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
