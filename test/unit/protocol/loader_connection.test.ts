import { strict as assert } from 'node:assert';
import { LoaderConnection } from '../../../src/core/protocol/loader_connection';
import { CommandFailedError, LoaderTimeoutError, UnsupportedCommandError } from '../../../src/core/protocol/loader_errors';
import { LoaderSession } from '../../../src/core/protocol/loader_session';
import { Op } from '../../../src/core/protocol/opcodes';
import { chipFacts } from '../../../src/core/chips';
import { FakeTransport, resp, u32 } from './fake_transport';

describe('loader connection: request/response matching and status bytes', () => {
  it('returns READ_REG value and skips noise and packets for other opcodes', async () => {
    const t = new FakeTransport((req) => [{ raw: Buffer.from('ets Jun  8 2016 00:22:57\r\n') }, resp(Op.SYNC, { value: 0x20120707 }), resp(req.op, { value: 0xdeadbeef })]);
    const s = new LoaderSession(new LoaderConnection(t));
    assert.equal(await s.readReg(0x40001000), 0xdeadbeef);
    assert.deepEqual([...t.requests[0].data], [0x00, 0x10, 0x00, 0x40]);
  });

  it('reads the ROM MD5 as 32 hex characters followed by 4 status bytes', async () => {
    const hex = '0123456789abcdef0123456789ABCDEF';
    const t = new FakeTransport((req) => [resp(req.op, { payload: [...Buffer.from(hex)], status: [0, 0, 0, 0] })]);
    const s = new LoaderSession(new LoaderConnection(t));
    assert.equal(await s.flashMd5(0x1000, 0x100), hex.toLowerCase());
    assert.deepEqual([...t.requests[0].data], [...u32(0x1000, 0x100, 0, 0)]);
  });

  it('reads the stub MD5 as 16 raw bytes followed by 2 status bytes', async () => {
    const raw = Array.from({ length: 16 }, (_, i) => i * 17);
    const t = new FakeTransport((req) => [resp(req.op, { payload: raw, status: [0, 0] })]);
    const s = new LoaderSession(new LoaderConnection(t));
    s.isStub = true;
    assert.equal(await s.flashMd5(0, 16), Buffer.from(raw).toString('hex'));
  });

  it('takes the status right after the expected payload, ignoring extra bytes', async () => {
    // A stub status (2 bytes) followed by junk; a 4-byte ROM status must not be assumed.
    const t = new FakeTransport((req) => [resp(req.op, { status: [0, 0, 0x01, 0x07] })]);
    const s = new LoaderSession(new LoaderConnection(t));
    await s.spiSetParams(4 * 1024 * 1024);
  });

  it('raises a readable error for a failure status', async () => {
    const t = new FakeTransport((req) => [resp(req.op, { status: [0x01, 0x07, 0, 0] })]);
    const conn = new LoaderConnection(t);
    await assert.rejects(conn.command(Op.SPI_ATTACH, u32(0, 0)), (e: unknown) => {
      assert.ok(e instanceof CommandFailedError);
      assert.equal(e.code, 0x0107);
      assert.match(e.message, /SPI_ATTACH failed — ROM error 0x07: checksum error/);
      return true;
    });
  });

  it('recognises the ROM "invalid message" reply to an unknown command as unsupported', async () => {
    const t = new FakeTransport(() => [resp(0x00, { status: [0x01, 0x05] }), resp(0x00, { status: [0x01, 0x05] })]);
    const conn = new LoaderConnection(t);
    const t0 = Date.now();
    await assert.rejects(conn.command(Op.GET_SECURITY_INFO, new Uint8Array(0)), (e: unknown) => {
      assert.ok(e instanceof UnsupportedCommandError);
      assert.match(e.message, /does not support GET_SECURITY_INFO/);
      return true;
    });
    assert.ok(Date.now() - t0 < 1500);
  });

  it('treats stub 0xC300 "invalid command" as unsupported', async () => {
    const t = new FakeTransport((req) => [resp(req.op, { status: [0xc3, 0x00] })]);
    await assert.rejects(new LoaderConnection(t).command(Op.FLASH_ENCRYPT_DATA, new Uint8Array(16)), UnsupportedCommandError);
  });

  it('says "No serial data received" when nothing arrives before the deadline', async () => {
    const t = new FakeTransport(() => []);
    const t0 = Date.now();
    await assert.rejects(new LoaderConnection(t).command(Op.READ_REG, u32(0), { timeoutMs: 150 }), (e: unknown) => {
      assert.ok(e instanceof LoaderTimeoutError);
      assert.match(e.message, /No serial data received for the READ_REG reply within 150 ms on fake:port/);
      return true;
    });
    assert.ok(Date.now() - t0 < 1000);
  });

  it('stops waiting when the AbortSignal fires', async () => {
    const t = new FakeTransport(() => []);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const t0 = Date.now();
    await assert.rejects(new LoaderConnection(t, ac.signal).command(Op.READ_REG, u32(0), { timeoutMs: 5000 }), /cancelled/);
    assert.ok(Date.now() - t0 < 1000);
  });

  it('picks the GET_SECURITY_INFO payload length (20 or 12) from the reply size', async () => {
    const payload20 = [...u32(0x4), 0x07, 0, 0, 0, 0, 0, 0, 0, ...u32(5), ...u32(3)];
    const t = new FakeTransport((req) => [resp(req.op, { payload: payload20, status: [0, 0, 0, 0] })]);
    const info = await new LoaderSession(new LoaderConnection(t)).getSecurityInfo();
    assert.equal(info.chipId, 5);
    assert.equal(info.cryptCounter, 7);
    assert.equal(info.secureDownloadMode, true);
    const payload12 = [...u32(0x1), 0x01, 4, 0, 0, 0, 0, 0, 0];
    const t2 = new FakeTransport((req) => [resp(req.op, { payload: payload12, status: [0, 0] })]);
    const info2 = await new LoaderSession(new LoaderConnection(t2)).getSecurityInfo();
    assert.equal(info2.chipId, undefined);
    assert.equal(info2.secureBootEnabled, true);
    assert.deepEqual(info2.keyPurposes.slice(0, 2), [4, 0]);
  });

  it('puts exactly the encrypt word the write method chose into FLASH_BEGIN (16 bytes without one)', async () => {
    const t = new FakeTransport((req) => [resp(req.op)]);
    const s = new LoaderSession(new LoaderConnection(t));
    s.chip = chipFacts('esp32c3');
    await s.flashBegin({ size: 0x400, blocks: 1, blockSize: 0x400, offset: 0x1000 });
    assert.equal(t.requests[0].size, 16);
    await s.flashBegin({ size: 0x400, blocks: 1, blockSize: 0x400, offset: 0x1000, encryptWord: 1 });
    assert.deepEqual([...t.requests[1].data], [...u32(0x400, 1, 0x400, 0x1000, 1)]);
    s.isStub = true;
    await s.flashDeflBegin({ size: 1, blocks: 1, blockSize: 0x4000, offset: 0, encryptWord: 0 });
    assert.deepEqual([...t.requests[2].data], [...u32(1, 1, 0x4000, 0, 0)]);
  });

  it('re-sends a data block rejected for its checksum, at most 3 times in all', async () => {
    let n = 0;
    const t = new FakeTransport((req) => [resp(req.op, { status: ++n < 3 ? [0xc1, 0] : [0, 0] })]);
    const s = new LoaderSession(new LoaderConnection(t));
    await s.sendDataWithRetries(Op.FLASH_DATA, 0, new Uint8Array(8), 500);
    assert.equal(t.requests.length, 3);
    n = -10;
    await assert.rejects(s.sendDataWithRetries(Op.FLASH_DATA, 0, new Uint8Array(8), 500), /bad data checksum/);
  });

  it('implements the stub READ_FLASH acknowledgement protocol and checks the MD5', async () => {
    const data = Buffer.alloc(0x1800, 0x5a);
    const { createHash } = await import('node:crypto');
    const t = new FakeTransport((req, dev) => {
      if (req.op === Op.READ_FLASH) {
        setTimeout(() => {
          dev.deliver(data.subarray(0, 0x1000));
        }, 1);
        return [resp(req.op, { status: [0, 0] })];
      }
      if (req.op === -1) {
        const got = Buffer.from(req.frame).readUInt32LE(0);
        if (got === 0x1000) return [data.subarray(0x1000)];
        if (got === 0x1800) return [createHash('md5').update(data).digest()];
      }
      return [];
    });
    const s = new LoaderSession(new LoaderConnection(t));
    s.isStub = true;
    const out = await s.readFlashStub(0x10000, 0x1800);
    assert.deepEqual(Buffer.from(out), data);
    assert.deepEqual([...t.requests[0].data], [...u32(0x10000, 0x1800, 0x1000, 64)]);
  });
});
