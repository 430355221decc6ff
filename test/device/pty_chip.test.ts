import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ControlLinesUnsupportedError } from '../../src/core/transport/transport';
import { xtsEncrypt } from '../../src/sim/sim_crypto';
import { alive, openSerialTestTransport } from '../unit/sim/serialport_test_transport';
import { dataRequest, enterStub, hex, parseReply, sync, TestHost, words } from '../unit/sim/sim_test_helpers';
import { ptyChipsPerTest, socatMissing } from './flash_helpers';

describe('virtual chip behind a pseudo-terminal (real serialport binding on the host end)', function () {
  this.timeout(30000);
  if (socatMissing('pty chip tests')) return;
  const chips = ptyChipsPerTest();

  for (const name of ['esp32', 'esp32c3', 'esp32s3'] as const) {
    it(`${name}: starts in download mode; SYNC, READ_REG, stub upload and an MD5 work through the pty`, async () => {
      const pty = await chips.start({ chip: name });
      const t = await openSerialTestTransport(pty.path);
      try {
        const h = new TestHost(t);
        const replies = await sync(h);
        assert.equal(replies.length, 8);
        assert.equal(replies[0].value, 0x20120707);
        assert.equal((await h.command(0x0a, words(0x40001000))).value, pty.chip.chip.magicValues[0]);
        await enterStub(h);
        pty.chip.preloadFlash(0x1000, Uint8Array.from([1, 2, 3]));
        const md5 = await h.command(0x13, words(0x1000, 0x1000, 0, 0));
        assert.equal(hex(md5.data.subarray(0, 16)), crypto.createHash('md5').update(pty.chip.readFlash(0x1000, 0x1000)).digest('hex'));
      } finally {
        await t.close();
      }
    });
  }

  it('esp32c3 ROM encrypted write through the pty stores XTS ciphertext', async () => {
    const pty = await chips.start({ chip: 'esp32c3', encryption: 'development' });
    const t = await openSerialTestTransport(pty.path);
    try {
      const h = new TestHost(t);
      await sync(h);
      const plain = new Uint8Array(crypto.randomBytes(0x800));
      assert.equal(hex((await h.command(0x02, words(0x800, 2, 0x400, 0x10000, 1))).data), '00000000');
      for (let seq = 0; seq < 2; seq++) {
        await h.send(dataRequest(0x03, seq, plain.subarray(seq * 0x400, seq * 0x400 + 0x400)));
        assert.equal(hex(parseReply((await h.frames(1))[0]).data), '00000000');
      }
      assert.ok(Buffer.from(pty.chip.readFlash(0x10000, 0x800)).equals(Buffer.from(xtsEncrypt(pty.chip.key!, 0x10000, plain))));
    } finally {
      await t.close();
    }
  });

  it('the host end has no reset lines, and reconnecting after close works', async () => {
    const pty = await chips.start({ chip: 'esp32c6' });
    let t = await openSerialTestTransport(pty.path);
    await assert.rejects(t.setSignals({ dtr: false, rts: true }), /Inappropriate ioctl/);
    await t.close();
    t = await openSerialTestTransport(pty.path);
    try {
      assert.equal((await sync(new TestHost(t))).length, 8);
    } finally {
      await t.close();
    }
    assert.ok(new ControlLinesUnsupportedError(pty.path).message.includes(pty.path));
  });

  it('a disconnect fault takes the link down: socat is stopped', async () => {
    const pty = await chips.start({ chip: 'esp32h2' });
    const t = await openSerialTestTransport(pty.path);
    try {
      const h = new TestHost(t);
      await sync(h);
      pty.chip.faults.disconnectAtByte(4);
      // The link may go down while these bytes are still being written: a failed write is allowed here.
      await h.send(Uint8Array.from([0xc0, 0x00, 0x08, 0x24, 0x00, 0x00])).catch(() => undefined);
      // The host end sees the device gone: either serialport closes the port, or (when its read loop
      // does not take the pty's hang-up for a disconnect, which depends on where that loop is) the
      // next write fails. Both within 3 s.
      const deadline = Date.now() + 3000;
      let gone = false;
      while (!gone && Date.now() < deadline) {
        gone =
          !t.port.isOpen ||
          (await t.write(Uint8Array.of(0xc0)).then(
            () => false,
            () => true,
          ));
        if (!gone) await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(pty.chip.disconnected);
      assert.ok(gone, 'the host port saw the device go away');
    } finally {
      await t.close();
    }
  });

  it('socat dies with the process that started it, even when that process is killed', async () => {
    const repo = path.resolve(__dirname, '../..');
    const script = `const { openPtyPair } = require('./src/sim/pty_link'); openPtyPair().then((p) => { console.log('PID ' + p.socatPid + ' DIR ' + require('path').dirname(p.hostPath)); setInterval(() => {}, 1000); });`;
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let linkDir = '';
    const pid = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`child did not report a socat pid: ${out}`)), 10000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /PID (\d+) DIR (\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          linkDir = m[2];
          resolve(Number(m[1]));
        }
      });
    });
    assert.ok(alive(pid));
    child.kill('SIGKILL');
    const deadline = Date.now() + 3000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(alive(pid), false, `socat ${pid} outlived its killed parent`);
    while (fs.existsSync(linkDir) && Date.now() < deadline + 2000) await new Promise((r) => setTimeout(r, 50));
    assert.equal(fs.existsSync(linkDir), false, `link directory ${linkDir} left behind`);
  });
});
