/**
 * The serial transport reads and writes the port's descriptor directly (core/transport/direct_io):
 * bytes keep their order across writes the kernel takes only in part, and a large burst from the
 * far end arrives whole — through socat's pseudo-terminals and the real serialport binding. The
 * same holds on the fallback (bindings-cpp's internal helpers missing: the binding's own read and
 * write), where a flash job onto a virtual chip also still works.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { SerialPort } from 'serialport';
import { segmentsFromPlan } from '../../src/core/flash/segments_from_plan';
import { setUnixIoResolver, useDirectIo } from '../../src/core/transport/direct_io';
import { SerialTransport } from '../../src/core/transport/serial_transport';
import { eventText, flashVirtual, planFor, socatMissing } from './flash_helpers';
import { openPtyPair, type PtyPair } from '../../src/sim/pty_link';

const MODES = [
  { name: 'direct serial reads and writes', fallback: false },
  { name: "fallback to the binding's own reads and writes (bindings-cpp helpers missing)", fallback: true },
];

for (const mode of MODES)
  describe(`${mode.name} (pseudo-terminal, real serialport binding)`, function () {
    this.timeout(30_000);
    if (socatMissing('direct I/O tests')) return;
    let pair: PtyPair | undefined;
    let far: SerialPort | undefined;
    let near: SerialTransport | undefined;
    const notes: string[] = [];
    beforeEach(async () => {
      notes.length = 0;
      if (mode.fallback)
        setUnixIoResolver(
          () => {
            throw new Error("Cannot find module '@serialport/bindings-cpp/dist/unix-read'");
          },
          (m) => notes.push(m),
        );
      pair = await openPtyPair();
      far = new SerialPort({ path: pair.chipPath, baudRate: 115200, autoOpen: false });
      await new Promise<void>((res, rej) => far!.open((e) => (e ? rej(e) : res())));
      near = await SerialTransport.open(pair.hostPath, 115200);
    });
    afterEach(async () => {
      await near?.close();
      if (far?.isOpen) await new Promise<void>((res) => far!.close(() => res()));
      await pair?.close();
      setUnixIoResolver();
    });

    it(mode.fallback ? 'is not in use, and the fallback is noted once' : 'is in use on an opened port (and only once)', () => {
      const binding = (near as unknown as { port: { port: { __espFlasherDirect?: boolean } } }).port.port;
      assert.equal(binding.__espFlasherDirect, mode.fallback ? undefined : true);
      assert.equal(useDirectIo(binding), false);
      assert.equal(useDirectIo({}), false);
      if (mode.fallback) assert.deepEqual(notes.length, 1, notes.join('\n'));
    });

    if (mode.fallback)
      it('a flash job onto a virtual chip (its pseudo-terminal, the ROM loader) writes and verifies every segment', async () => {
        const { plan } = await planFor('esp32c3');
        const segs = segmentsFromPlan(plan, 'plain', 'device');
        const run = await flashVirtual('virtual:esp32c3', segs, { settings: plan.settings, stub: false, baud: 115200 });
        try {
          assert.equal(run.result.ok, true, `${run.result.error}\n${eventText(run.events)}`);
          assert.ok(run.result.segments.every((r) => r.verified));
          for (const seg of segs.filter((x) => x.name !== 'bootloader')) assert.ok(Buffer.from(run.chip.readFlash(seg.offset, seg.bytes.length)).equals(seg.bytes), seg.name);
        } finally {
          run.chip.close();
        }
      });

    it('writes far larger than the kernel takes at once, then small ones: everything arrives, in order', async () => {
      const parts = [randomBytes(300_000), Buffer.from('tail-1'), randomBytes(70_000), Buffer.from('tail-2')];
      const want = Buffer.concat(parts);
      const got: Buffer[] = [];
      let n = 0;
      const all = new Promise<void>((resolve) =>
        far!.on('data', (d: Buffer) => {
          got.push(d);
          n += d.length;
          if (n >= want.length) resolve();
        }),
      );
      await Promise.all(parts.map((p) => near!.write(new Uint8Array(p))));
      await all;
      assert.ok(Buffer.concat(got).equals(want));
    });

    it('a 200 KB burst from the far end is read whole', async () => {
      const burst = randomBytes(200_000);
      far!.write(burst);
      const got: Uint8Array[] = [];
      let n = 0;
      while (n < burst.length) {
        const c = await near!.read(2000);
        assert.ok(c.length > 0, `read stalled after ${n} bytes`);
        got.push(c);
        n += c.length;
      }
      assert.ok(Buffer.concat(got).equals(burst));
    });
  });
