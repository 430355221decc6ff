/**
 * One conversation with a loader (ROM or stub) over a Transport: SLIP in both directions,
 * request/response matching (§1.3), status bytes right after the expected payload (§1.5),
 * "unsupported command" detection, deadlines on every wait and cancellation.
 */
import { DeviceError } from '../errors';
import type { Transport } from '../transport/transport';
import { sleep, throwIfAborted } from './abort_wait';
import { CancelledError, CommandFailedError, LoaderTimeoutError, UnsupportedCommandError, crashTextIn } from './loader_errors';
import { opName } from './opcodes';
import { decodeResponse, encodeRequest } from './packet';
import { SlipDecoder, slipEncode } from './slip';
import { DEFAULT_TIMEOUT_MS, SERIAL_WRITE_TIMEOUT_MS } from './timeouts';

export interface CommandOptions {
  timeoutMs?: number;
  /** Header checksum (data commands). */
  checksum?: number;
  /**
   * Payload bytes expected before the status bytes. A list means "one of these": the largest
   * that still leaves room for 2 status bytes wins (GET_SECURITY_INFO: 20 or 12).
   */
  payload?: number | number[];
  /** Do not look at the status bytes (CHANGE_BAUDRATE, MEM_END to the ROM). */
  ignoreStatus?: boolean;
  /** Prefix for error messages ("writing segment app at 0x10000"). */
  context?: string;
}

export interface CommandReply {
  value: number;
  payload: Uint8Array;
  /** The whole data field (payload + status bytes). */
  data: Uint8Array;
}

/** Responses are matched among at most this many packets (esptool's limit). */
const MAX_PACKETS_PER_REPLY = 100;
/** Longest single transport read; between reads cancellation is checked. */
const READ_SLICE_MS = 100;

export class LoaderConnection {
  readonly decoder = new SlipDecoder();
  /** Frames that failed SLIP unescaping, for diagnostics. */
  badFrames = 0;

  private readonly opened = performance.now();

  constructor(
    readonly transport: Transport,
    private readonly signal?: AbortSignal,
    /** One line per frame sent or received (ConnectOptions.trace). */
    private readonly trace?: (line: string) => void,
  ) {}

  get port(): string {
    return this.transport.name;
  }

  private traceLine(text: string): void {
    try {
      this.trace!(`${(performance.now() - this.opened).toFixed(1).padStart(9)} ms  ${this.port}  ${text}`);
    } catch {
      // a broken trace sink must not break the job
    }
  }

  /** Send one SLIP-framed packet (no waiting for an answer). */
  async writeFrame(packet: Uint8Array): Promise<void> {
    await this.writeEncoded(slipEncode(packet));
  }

  /** Send bytes already SLIP-framed (slipEncode). */
  async writeEncoded(frame: Uint8Array): Promise<void> {
    throwIfAborted(this.signal);
    // A request frame starts C0 00 <op> (neither byte needs SLIP escaping).
    if (this.trace) this.traceLine(`→ ${frame.length > 2 ? opName(frame[2]) : 'frame'} (${frame.length} bytes on the wire)`);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.transport.write(frame),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new Error(
                  `Writing to ${this.port} did not finish within ${SERIAL_WRITE_TIMEOUT_MS / 1000} s; the device is not reading (flow control or a stuck USB bridge). Unplug and replug it.`,
                ),
              ),
            SERIAL_WRITE_TIMEOUT_MS,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Send a request packet without waiting. */
  async send(op: number, data: Uint8Array, checksum = 0): Promise<void> {
    await this.writeFrame(encodeRequest(op, data, checksum));
  }

  /**
   * Next SLIP frame (any kind), waiting at most `timeoutMs`. Throws LoaderTimeoutError
   * (naming `what`) when none completes in time.
   */
  async readFrame(timeoutMs: number, what = 'a reply'): Promise<Uint8Array> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const item = this.decoder.take();
      if (item) {
        if (item.kind === 'frame') {
          if (this.trace) this.traceLine(`← ${describeFrame(item.data)}`);
          return item.data;
        }
        this.badFrames++;
        continue;
      }
      throwIfAborted(this.signal);
      const left = deadline - Date.now();
      if (left <= 0) {
        const crash = crashTextIn(this.decoder.noiseText());
        if (crash) throw new DeviceError(`The chip crashed while waiting for ${what} on ${this.port}: "${crash}". Reset it and try again.`);
        throw new LoaderTimeoutError(what, timeoutMs, this.decoder.midFrame, this.port);
      }
      const chunk = await this.transport.read(Math.min(left, READ_SLICE_MS));
      if (chunk.length) this.decoder.push(chunk);
    }
  }

  /** Wait for the response to `op`, check its status, return value and payload. */
  async waitResponse(op: number, opts: CommandOptions = {}): Promise<CommandReply> {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    const name = opName(op);
    for (let n = 0; n < MAX_PACKETS_PER_REPLY; n++) {
      const left = Math.max(1, deadline - Date.now());
      let frame: Uint8Array;
      try {
        frame = await this.readFrame(left, `the ${name} reply`);
      } catch (e) {
        if (e instanceof LoaderTimeoutError) throw new LoaderTimeoutError(`the ${name} reply`, timeoutMs, e.gotBytes, this.port);
        throw e;
      }
      const resp = decodeResponse(frame);
      if (!resp) continue;
      if (resp.op !== op) {
        if (resp.data.length >= 2 && resp.data[0] !== 0 && resp.data[1] === 0x05) {
          // The ROM's "invalid message" reply, repeated several times: drain, then report.
          await this.drain(200);
          throw new UnsupportedCommandError(name);
        }
        continue;
      }
      if (opts.ignoreStatus) return { value: resp.value, payload: resp.data, data: resp.data };
      let payloadLen = pickPayloadLength(opts.payload ?? 0, resp.data.length);
      if (resp.data.length < payloadLen + 2) {
        // A refusal carries no payload, only status bytes (2 from a stub, 4 from a ROM) —
        // e.g. the ESP32 stub answering GET_SECURITY_INFO, which it lacks.
        if (resp.data.length >= 2 && resp.data[0] !== 0) payloadLen = 0;
        else throw new DeviceError(`${opts.context ? opts.context + ': ' : ''}${name} reply too short (${resp.data.length} data bytes, expected ${payloadLen} + status).`);
      }
      const status = resp.data[payloadLen];
      const err = resp.data[payloadLen + 1];
      if (status !== 0) {
        if (status === 0xc3 || status === 0xff) throw new UnsupportedCommandError(name, `stub answered 0x${status.toString(16)}00`);
        throw new CommandFailedError(name, status, err, opts.context);
      }
      return { value: resp.value, payload: resp.data.subarray(0, payloadLen), data: resp.data };
    }
    throw new DeviceError(`No ${name} reply among ${MAX_PACKETS_PER_REPLY} packets from ${this.port}; the link is out of step. Reset the chip and reconnect.`);
  }

  /** Send a command and wait for its checked reply. */
  async command(op: number, data: Uint8Array, opts: CommandOptions = {}): Promise<CommandReply> {
    await this.send(op, data, opts.checksum ?? 0);
    return this.waitResponse(op, opts);
  }

  /** Drop buffered input on both the port and the decoder. */
  async flushInput(): Promise<void> {
    await this.transport.flushInput();
    this.decoder.reset();
  }

  /** Read and discard input until `quietMs` pass without a byte (bounded by 5 × quietMs). */
  async drain(quietMs: number): Promise<void> {
    const hardDeadline = Date.now() + quietMs * 5;
    for (;;) {
      if (this.signal?.aborted) throw new CancelledError();
      const left = Math.min(quietMs, hardDeadline - Date.now());
      if (left <= 0) break;
      const chunk = await this.transport.read(left);
      if (!chunk.length) break;
      this.decoder.push(chunk);
    }
    this.decoder.reset();
  }

  /** Sleep that honours cancellation. */
  sleep(ms: number): Promise<void> {
    return sleep(ms, this.signal);
  }

  get aborted(): boolean {
    return !!this.signal?.aborted;
  }

  get abortSignal(): AbortSignal | undefined {
    return this.signal;
  }
}

function pickPayloadLength(want: number | number[], dataLen: number): number {
  if (typeof want === 'number') return want;
  const sorted = [...want].sort((a, b) => b - a);
  return sorted.find((p) => dataLen >= p + 2) ?? sorted[sorted.length - 1];
}

/** A received frame for the trace: the reply's opcode, value and last data bytes (the status), or its size. */
function describeFrame(frame: Uint8Array): string {
  const r = decodeResponse(frame);
  if (!r) return `frame (${frame.length} bytes)`;
  // The status bytes end the data: 2 from a stub, 4 from a ROM (which loader answered is not known here).
  const tail = r.data.length ? `, ending ${Array.from(r.data.subarray(Math.max(0, r.data.length - 4)), (b) => b.toString(16).padStart(2, '0')).join(' ')}` : '';
  return `${opName(r.op)} reply, value 0x${r.value.toString(16)}, ${r.data.length} data bytes${tail}`;
}
