/**
 * Test helpers for the virtual chip: request frames built by hand from the spec (§1.1–§1.4),
 * a strict reply decoder and a tiny host that talks to the in-process transport.
 * Deliberately independent of src/core/protocol and of src/sim's own codec.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Transport } from '../../../src/core/transport/transport';

/** ../shared next to the repository root, or undefined when it is not present. */
export function sharedDir(): string | undefined {
  const dir = path.resolve(__dirname, '../../..', '../shared');
  return fs.existsSync(dir) ? dir : undefined;
}

export function words(...w: number[]): Uint8Array {
  const out = new Uint8Array(w.length * 4);
  w.forEach((v, i) => new DataView(out.buffer).setUint32(i * 4, v >>> 0, true));
  return out;
}

export function cat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const arrs = parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)));
  const out = new Uint8Array(arrs.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const a of arrs) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}

/** SLIP: 0xC0 … 0xC0, 0xDB → DB DD, 0xC0 → DB DC. */
export function slip(payload: Uint8Array): Uint8Array {
  const out: number[] = [0xc0];
  for (const b of payload) {
    if (b === 0xdb) out.push(0xdb, 0xdd);
    else if (b === 0xc0) out.push(0xdb, 0xdc);
    else out.push(b);
  }
  out.push(0xc0);
  return Uint8Array.from(out);
}

/** Request frame: 00, op, u16 size, u32 checksum, data — SLIP-encoded. */
export function request(op: number, data: Uint8Array = new Uint8Array(0), checksum = 0): Uint8Array {
  const head = new Uint8Array(8);
  head[0] = 0x00;
  head[1] = op;
  head[2] = data.length & 0xff;
  head[3] = data.length >> 8;
  new DataView(head.buffer).setUint32(4, checksum >>> 0, true);
  return slip(cat(head, data));
}

export function checksum(data: Uint8Array): number {
  let c = 0xef;
  for (const b of data) c ^= b;
  return c;
}

/** *_DATA request: {len, seq, 0, 0} + payload, checksum over the payload. */
export function dataRequest(op: number, seq: number, payload: Uint8Array, badChecksum = false): Uint8Array {
  const cs = checksum(payload) ^ (badChecksum ? 0x55 : 0);
  return request(op, cat(words(payload.length, seq, 0, 0), payload), cs);
}

export const SYNC_DATA = Uint8Array.from([0x07, 0x07, 0x12, 0x20, ...new Array<number>(32).fill(0x55)]);

/** Split a byte stream into SLIP frames (strict: any text outside frames is returned apart). */
export function unslip(bytes: Uint8Array): { frames: Uint8Array[]; text: string } {
  const frames: Uint8Array[] = [];
  let text = '';
  let cur: number[] | undefined;
  let esc = false;
  for (const b of bytes) {
    if (cur === undefined) {
      if (b === 0xc0) cur = [];
      else text += String.fromCharCode(b);
      continue;
    }
    if (b === 0xc0) {
      if (cur.length === 0) continue; // back-to-back delimiters
      frames.push(Uint8Array.from(cur));
      cur = undefined;
      continue;
    }
    if (esc) {
      esc = false;
      if (b === 0xdc) cur.push(0xc0);
      else if (b === 0xdd) cur.push(0xdb);
      else throw new Error(`bad escape 0xdb 0x${b.toString(16)}`);
    } else if (b === 0xdb) esc = true;
    else cur.push(b);
  }
  return { frames, text };
}

export interface Reply {
  dir: number;
  op: number;
  size: number;
  value: number;
  data: Uint8Array;
  raw: Uint8Array;
}

export function parseReply(f: Uint8Array): Reply {
  const size = f[2] | (f[3] << 8);
  if (f.length !== 8 + size) throw new Error(`reply size field ${size} but ${f.length - 8} data bytes`);
  return { dir: f[0], op: f[1], size, value: new DataView(f.buffer, f.byteOffset).getUint32(4, true), data: f.subarray(8), raw: f };
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** A minimal host on top of a Transport: send frames, collect frames and text. */
export class TestHost {
  private pending: Uint8Array = new Uint8Array(0);
  text = '';

  constructor(readonly t: Transport) {}

  async send(bytes: Uint8Array): Promise<void> {
    await this.t.write(bytes);
  }

  /** Collect `n` frames (raw, unslipped) within `timeoutMs`; fewer if the deadline passes. */
  async frames(n: number, timeoutMs = 1000): Promise<Uint8Array[]> {
    const deadline = Date.now() + timeoutMs;
    const out: Uint8Array[] = [];
    for (;;) {
      const { frames, rest } = this.split();
      out.push(...frames);
      this.pending = rest;
      if (out.length >= n) break;
      const left = deadline - Date.now();
      if (left <= 0) break;
      const chunk = await this.t.read(left);
      this.pending = cat(this.pending, chunk);
    }
    return out;
  }

  /** Send a request, return the first reply frame (parsed). Throws when none comes in time. */
  async command(op: number, data: Uint8Array = new Uint8Array(0), cs = 0, timeoutMs = 1000): Promise<Reply> {
    await this.send(request(op, data, cs));
    const [f] = await this.frames(1, timeoutMs);
    if (!f) throw new Error(`no reply to opcode 0x${op.toString(16)} within ${timeoutMs} ms`);
    return parseReply(f);
  }

  /** Read whatever arrives for `ms` and return it as frames + text. */
  async drain(ms: number): Promise<Uint8Array[]> {
    const deadline = Date.now() + ms;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      this.pending = cat(this.pending, await this.t.read(left));
    }
    const { frames, rest } = this.split();
    this.pending = rest;
    return frames;
  }

  /** Frames complete in the buffer; text before a frame goes to `text`. */
  private split(): { frames: Uint8Array[]; rest: Uint8Array } {
    const buf = this.pending;
    const frames: Uint8Array[] = [];
    let i = 0;
    let consumed = 0;
    while (i < buf.length) {
      if (buf[i] !== 0xc0) {
        this.text += String.fromCharCode(buf[i]);
        i++;
        consumed = i;
        continue;
      }
      let j = i + 1;
      while (j < buf.length && buf[j] === 0xc0) j++; // skip back-to-back delimiters
      const start = j - 1;
      let k = j;
      while (k < buf.length && buf[k] !== 0xc0) k++;
      if (k >= buf.length) break; // incomplete frame: wait for more
      frames.push(...unslip(buf.subarray(start, k + 1)).frames);
      i = k + 1;
      consumed = i;
    }
    return { frames, rest: buf.slice(consumed) };
  }
}

/** Sync (ROM or stub): send SYNC, expect 8 replies. */
export async function sync(h: TestHost): Promise<Reply[]> {
  await h.send(request(0x08, SYNC_DATA));
  return (await h.frames(8)).map(parseReply);
}

/** Upload a (dummy) stub with MEM_BEGIN/MEM_DATA/MEM_END and wait for "OHAI". */
export async function enterStub(h: TestHost): Promise<void> {
  const code = new Uint8Array(64).fill(0x13);
  const begin = await h.command(0x05, words(code.length, 1, 0x1800, 0x40080000));
  if (begin.data[0] !== 0) throw new Error(`MEM_BEGIN failed: ${hex(begin.data)}`);
  await h.send(dataRequest(0x07, 0, code));
  const [d] = await h.frames(1);
  if (!d || parseReply(d).data[0] !== 0) throw new Error('MEM_DATA failed');
  await h.send(request(0x06, words(0, 0x40080000)));
  const [end, ohai] = await h.frames(2);
  if (!end || parseReply(end).op !== 0x06) throw new Error('no MEM_END reply');
  if (!ohai || Buffer.from(ohai).toString('ascii') !== 'OHAI') throw new Error(`expected OHAI, got ${ohai ? hex(ohai) : 'nothing'}`);
}
