/** A scripted ROM answering SYNC, READ_REG/WRITE_REG from a register map, and GET_SECURITY_INFO. */
import { Op } from '../../../src/core/protocol/opcodes';
import { FakeTransport, resp, u32, type Reply, type Request } from './fake_transport';

export interface FakeRomOptions {
  regs?: Record<number, number>;
  /** GET_SECURITY_INFO payload, or undefined for "unsupported". */
  securityInfo?: number[];
  /** Answer SYNC at all. */
  syncs?: boolean;
  /** Value of SYNC replies (0 = a stub is running). */
  syncValue?: number;
  statusLen?: 2 | 4;
  /** Extra handler tried first. */
  extra?: (req: Request, t: FakeTransport) => Reply[] | void;
}

export function fakeRom(o: FakeRomOptions = {}): FakeTransport & { regs: Record<number, number>; writes: [number, number][] } {
  const regs: Record<number, number> = { ...(o.regs ?? {}) };
  const writes: [number, number][] = [];
  const st = o.statusLen === 2 ? [0, 0] : [0, 0, 0, 0];
  const t = new FakeTransport((req, dev) => {
    const x = o.extra?.(req, dev);
    if (x) return x;
    const d = Buffer.from(req.data);
    switch (req.op) {
      case Op.SYNC:
        if (o.syncs === false) return [];
        return Array.from({ length: 8 }, () => resp(Op.SYNC, { value: o.syncValue ?? 0x20120707, status: st }));
      case Op.READ_REG:
        return [resp(req.op, { value: regs[d.readUInt32LE(0)] ?? 0, status: st })];
      case Op.WRITE_REG:
        for (let i = 0; i + 16 <= d.length; i += 16) {
          const addr = d.readUInt32LE(i);
          const mask = d.readUInt32LE(i + 8);
          const value = d.readUInt32LE(i + 4);
          regs[addr] = ((regs[addr] ?? 0) & ~mask) | (value & mask);
          writes.push([addr, value]);
        }
        return [resp(req.op, { status: st })];
      case Op.GET_SECURITY_INFO:
        if (!o.securityInfo) return [resp(0x00, { status: [0x01, 0x05] })];
        return [resp(req.op, { payload: o.securityInfo, status: st })];
      default:
        return [resp(req.op, { status: st })];
    }
  }) as FakeTransport & { regs: Record<number, number>; writes: [number, number][] };
  t.regs = regs;
  t.writes = writes;
  return t;
}

export function securityInfo(flags: number, cryptCnt: number, purposes: number[], chipId?: number): number[] {
  const p = [...u32(flags), cryptCnt, ...purposes, ...new Array(7 - purposes.length).fill(0)];
  return chipId === undefined ? p : [...p, ...u32(chipId), ...u32(0)];
}
