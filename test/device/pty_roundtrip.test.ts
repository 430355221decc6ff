import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { SerialPort } from 'serialport';
import { fixPollerLostWakeups } from '../../src/core/transport/poller_fix';
import { liveSocatPids, openPtyEndpoint, openPtyPair, PtyPair } from '../../src/sim/pty_link';
import { alive, openSerialTestTransport } from '../unit/sim/serialport_test_transport';
import { socatMissing } from './flash_helpers';

async function collect(port: SerialPort, n: number, timeoutMs: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let got = 0;
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      port.off('data', onData);
      resolve(Buffer.concat(parts));
    };
    const onData = (d: Buffer): void => {
      parts.push(d);
      got += d.length;
      if (got >= n) done();
    };
    const timer = setTimeout(done, timeoutMs);
    port.on('data', onData);
  });
}

/**
 * Open a pty end with the real binding, patched as the product's transport patches it
 * (poller_fix.ts): the 64 KiB test writes on a port whose read loop is also waiting, the case in
 * which the unpatched poller loses the write's wake-up and the burst stalls (seen once under load).
 */
async function openPort(path: string): Promise<SerialPort> {
  const p = new SerialPort({ path, baudRate: 115200, autoOpen: false });
  await new Promise<void>((res, rej) => p.open((e) => (e ? rej(e) : res())));
  fixPollerLostWakeups((p as unknown as { port?: unknown }).port);
  return p;
}

/** Close; a write still pending is cancelled with an error event, which the test's own assertion has reported already. */
async function closePort(p: SerialPort): Promise<void> {
  p.on('error', () => undefined);
  if (p.isOpen) await new Promise<void>((res) => p.close(() => res()));
}

describe('pseudo-terminal link (socat) with the real serialport binding', function () {
  this.timeout(20000);
  if (socatMissing('pty tests')) return;

  let pair: PtyPair;
  let chipEnd: SerialPort;
  let hostEnd: SerialPort;
  beforeEach(async () => {
    pair = await openPtyPair();
    chipEnd = await openPort(pair.chipPath);
    hostEnd = await openPort(pair.hostPath);
  });
  afterEach(async () => {
    await closePort(hostEnd);
    await closePort(chipEnd);
    await pair.close();
  });

  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  // XON/XOFF, CR/LF, ^C, ^D, DEL, NUL and 0xFF first: the bytes a cooked tty would eat or change.
  const tricky = Buffer.from([0x11, 0x13, 0x0d, 0x0a, 0x03, 0x04, 0x1a, 0x7f, 0x00, 0xff, 0x0d, 0x0d, 0x0a]);

  it('host → chip: all 256 byte values arrive unchanged', async () => {
    const payload = Buffer.concat([all, tricky, Buffer.from(all).reverse()]);
    const got = collect(chipEnd, payload.length, 3000);
    hostEnd.write(payload);
    assert.equal((await got).toString('hex'), payload.toString('hex'));
  });

  it('chip → host: all 256 byte values arrive unchanged', async () => {
    const payload = Buffer.concat([all, tricky, Buffer.from(all).reverse()]);
    const got = collect(hostEnd, payload.length, 3000);
    chipEnd.write(payload);
    assert.equal((await got).toString('hex'), payload.toString('hex'));
  });

  it('a 64 KiB burst of every byte value passes both ways', async () => {
    const big = Buffer.concat(Array.from({ length: 256 }, () => all));
    const toChip = collect(chipEnd, big.length, 5000);
    hostEnd.write(big);
    assert.ok((await toChip).equals(big));
    const toHost = collect(hostEnd, big.length, 5000);
    chipEnd.write(big);
    assert.ok((await toHost).equals(big));
  });

  it('reset-line ioctls fail on a pty with "Inappropriate ioctl for device"', async () => {
    await assert.rejects(new Promise<void>((res, rej) => hostEnd.set({ dtr: true, rts: false }, (e) => (e ? rej(e) : res()))), /Inappropriate ioctl for device/);
  });

  it('the host may close and reopen its end; socat keeps the link', async () => {
    await closePort(hostEnd);
    const t = await openSerialTestTransport(pair.hostPath);
    hostEnd = t.port;
    const got = collect(chipEnd, 3, 2000);
    await t.write(Uint8Array.from([0xc0, 0x11, 0xc0]));
    assert.equal((await got).toString('hex'), 'c011c0');
  });

  it("the virtual chip's own end (Node tty streams) passes all 256 values both ways too", async () => {
    await closePort(chipEnd);
    const end = openPtyEndpoint(pair.chipPath);
    try {
      const payload = Buffer.concat([all, tricky, Buffer.from(all).reverse()]);
      const fromHost: Buffer[] = [];
      end.onData((d) => fromHost.push(Buffer.from(d)));
      hostEnd.write(payload);
      const deadline = Date.now() + 3000;
      while (Buffer.concat(fromHost).length < payload.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(Buffer.concat(fromHost).toString('hex'), payload.toString('hex'));
      const toHost = collect(hostEnd, payload.length, 3000);
      end.write(payload);
      assert.equal((await toHost).toString('hex'), payload.toString('hex'));
    } finally {
      await end.close();
    }
  });

  it('close() stops socat and removes the links', async () => {
    const pid = pair.socatPid;
    assert.ok(alive(pid));
    await closePort(hostEnd);
    await closePort(chipEnd);
    await pair.close();
    assert.equal(alive(pid), false);
    assert.equal(fs.existsSync(pair.hostPath), false);
    assert.ok(!liveSocatPids().includes(pid));
  });
});
