import assert from 'node:assert/strict';
import { directIoUnavailable, setUnixIoResolver, useDirectIo } from '../../../src/core/transport/direct_io';

/** Stands in for an open Linux/macOS binding port: a descriptor, a poller, its own read and write. */
function fakeBinding() {
  const own = {
    read: async (buffer: Buffer, offset: number, length: number) => ({ buffer, bytesRead: Math.min(0, offset, length) }),
    write: async (buffer: Buffer) => void buffer,
  };
  return { fd: 7, isOpen: true, poller: {}, writeOperation: null, read: own.read, write: own.write, own };
}

describe('transport/direct_io', () => {
  afterEach(() => setUnixIoResolver());

  it("finds bindings-cpp's read/write helpers in the installed version", () => {
    assert.equal(directIoUnavailable(), undefined);
  });

  it('helpers that cannot be loaded: the port keeps its own read and write, and that is noted once', () => {
    const notes: string[] = [];
    setUnixIoResolver(
      () => {
        throw new Error("Cannot find module '@serialport/bindings-cpp/dist/unix-read'");
      },
      (m) => notes.push(m),
    );
    const a = fakeBinding();
    const b = fakeBinding();
    assert.equal(useDirectIo(a), false);
    assert.equal(useDirectIo(b), false);
    for (const x of [a, b]) {
      assert.equal(x.read, x.own.read);
      assert.equal(x.write, x.own.write);
      assert.equal((x as { __espFlasherDirect?: boolean }).__espFlasherDirect, undefined);
    }
    assert.equal(notes.length, 1);
    assert.match(notes[0], /binding's own read and write .*cannot be loaded \(Cannot find module '@serialport\/bindings-cpp\/dist\/unix-read'\)/);
    assert.match(directIoUnavailable()!, /cannot be loaded/);
  });

  it('a resolver that reports a load error (as the bundled lookup does when require fails): the same fallback, with its reason', () => {
    const notes: string[] = [];
    setUnixIoResolver(
      () => ({ loadError: "Cannot find module '@serialport/bindings-cpp/dist/unix-write'" }),
      (m) => notes.push(m),
    );
    assert.equal(useDirectIo(fakeBinding()), false);
    assert.equal(notes.length, 1);
    assert.match(notes[0], /cannot be loaded \(Cannot find module '@serialport\/bindings-cpp\/dist\/unix-write'\)/);
  });

  it('a module without the expected functions: the same fallback, naming what is missing', () => {
    const notes: string[] = [];
    setUnixIoResolver(
      () => ({ unixRead: () => undefined, unixWrite: 'not a function' }),
      (m) => notes.push(m),
    );
    const a = fakeBinding();
    assert.equal(useDirectIo(a), false);
    assert.equal(a.write, a.own.write);
    assert.deepEqual(notes, [
      `serial ports use the binding's own read and write (thread pool), not direct descriptor I/O: @serialport/bindings-cpp has no unixWrite (@serialport/bindings-cpp/dist/unix-write) function`,
    ]);
    setUnixIoResolver(
      () => undefined,
      (m) => notes.push(m),
    );
    assert.equal(useDirectIo(fakeBinding()), false);
    assert.match(notes[1], /no unixRead \(.*\) and unixWrite \(.*\) function/);
  });

  it('helpers that are there: read and write go through them with synchronous descriptor calls', async () => {
    const calls: string[] = [];
    setUnixIoResolver(() => ({
      unixRead: async (o: { binding: unknown; length: number; fsReadAsync?: unknown; buffer: Buffer }) => {
        calls.push(`read ${o.length} ${typeof o.fsReadAsync}`);
        return { buffer: o.buffer, bytesRead: 1 };
      },
      unixWrite: async (o: { buffer: Buffer; fsWriteAsync?: unknown }) => {
        calls.push(`write ${o.buffer.length} ${typeof o.fsWriteAsync}`);
      },
    }));
    const a = fakeBinding();
    assert.equal(useDirectIo(a), true);
    assert.equal(useDirectIo(a), false, 'only once');
    await a.read(Buffer.alloc(4), 0, 4);
    await a.write(Buffer.from('hi'));
    assert.deepEqual(calls, ['read 4 function', 'write 2 function']);
  });

  it('the lookup is made when a port needs it, not at import, and is made again after a new resolver', () => {
    let asked = 0;
    setUnixIoResolver(() => {
      asked++;
      throw new Error('moved');
    });
    assert.equal(asked, 0);
    useDirectIo(fakeBinding());
    useDirectIo(fakeBinding());
    assert.equal(asked, 1);
    setUnixIoResolver();
    assert.equal(directIoUnavailable(), undefined);
  });
});
