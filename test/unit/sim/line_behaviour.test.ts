import { strict as assert } from 'node:assert';
import { ControlLinesUnsupportedError } from '../../../src/core/transport/transport';
import { VirtualChip } from '../../../src/sim/virtual_chip';
import { cat, hex, parseReply, request, slip, sync, SYNC_DATA, TestHost, words } from './sim_test_helpers';

const READ_REG = 0x0a;

async function classicReset(h: TestHost): Promise<void> {
  await h.t.setSignals({ dtr: false, rts: true }); // EN low
  await h.t.setSignals({ dtr: true, rts: false }); // EN high, IO0 low
  await h.t.setSignals({ dtr: false });
}

describe('virtual chip line behaviour', () => {
  let chip: VirtualChip;
  let h: TestHost;
  afterEach(() => chip.close());

  it('with reset lines it starts in the firmware: normal boot log, SYNC ignored', async () => {
    chip = new VirtualChip({ chip: 'esp32' });
    h = new TestHost(chip.transport());
    chip.reset('firmware');
    await h.drain(20);
    assert.match(h.text, /boot:0x13 \(SPI_FAST_FLASH_BOOT\)/);
    assert.match(h.text, /invalid header: 0xffffffff/);
    assert.equal(chip.mode, 'firmware');
    await h.send(request(0x08, SYNC_DATA));
    assert.equal((await h.frames(1, 50)).length, 0);
  });

  it('classic DTR/RTS sequence: download boot log ("boot:0x", "waiting for download"), then SYNC works', async () => {
    chip = new VirtualChip({ chip: 'esp32' });
    h = new TestHost(chip.transport());
    await classicReset(h);
    await h.drain(20);
    assert.match(h.text, /rst:0x1 \(POWERON_RESET\),boot:0x3 \(DOWNLOAD_BOOT\(UART0\/UART1\/SDIO_REI_REO_V2\)\)\r\nwaiting for download\r\n/);
    assert.equal(chip.mode, 'download');
    assert.equal((await sync(h)).length, 8);
  });

  it('unix "tight" sequence (0,0)→(1,1)→(0,1)→(1,0)→(0,0) also enters download mode', async () => {
    chip = new VirtualChip({ chip: 'esp32c3' });
    h = new TestHost(chip.transport());
    for (const [dtr, rts] of [
      [false, false],
      [true, true],
      [false, true],
      [true, false],
      [false, false],
    ]) {
      await h.t.setSignals({ dtr, rts });
    }
    assert.equal(chip.mode, 'download');
    assert.equal((await sync(h))[0].value, 0x20120707);
  });

  it('hard reset (RTS pulse, DTR released) boots the firmware; an image at the bootloader offset is found', async () => {
    chip = new VirtualChip({ chip: 'esp32c3' });
    h = new TestHost(chip.transport());
    await classicReset(h);
    chip.preloadFlash(0x0, Uint8Array.from([0xe9, 0x03, 0x02, 0x20, 0x00, 0x00, 0x3c, 0x40]));
    await h.t.setSignals({ rts: true });
    assert.equal(chip.mode, 'reset');
    await h.t.setSignals({ rts: false });
    await h.drain(20);
    assert.equal(chip.mode, 'firmware');
    assert.match(h.text, /entry 0x403c0000/);
  });

  it('flash encryption on: a plaintext bootloader does not boot, the encrypted one does (§12)', async () => {
    // A fixed key: with a random one the decrypted plaintext starts with 0xE9 once in 256 runs.
    chip = new VirtualChip({ chip: 'esp32', encryption: 'development', key: Uint8Array.from({ length: 32 }, (_, i) => i) });
    h = new TestHost(chip.transport());
    const header = new Uint8Array(32);
    header.set([0xe9, 0x04, 0x02, 0x10, 0x6c, 0x81, 0x09, 0x40]);
    chip.preloadFlash(0x1000, header);
    chip.reset('firmware');
    await h.drain(20);
    assert.match(h.text, /invalid header/);
    h.text = '';
    chip.preloadFlash(0x1000, chip.encryptForFlash(0x1000, header));
    chip.reset('firmware');
    await h.drain(20);
    assert.match(h.text, /entry 0x4009816c/);
  });

  it('without reset lines: starts in download mode and setSignals fails like a pty (ENOTTY)', async () => {
    chip = new VirtualChip({ chip: 'esp32s3', resetLines: false });
    h = new TestHost(chip.transport());
    assert.equal(chip.mode, 'download');
    await assert.rejects(h.t.setSignals({ dtr: true }), (e: Error) => e instanceof ControlLinesUnsupportedError && /Inappropriate ioctl/.test(e.message));
  });

  it('ignores garbage, half frames and frames with a wrong size field', async () => {
    chip = new VirtualChip({ chip: 'esp32c6', resetLines: false, bootLog: false });
    h = new TestHost(chip.transport());
    const half = request(READ_REG, words(0x40001000)).subarray(0, 7);
    const wrongSize = slip(Uint8Array.from([0x00, READ_REG, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x10, 0x00, 0x40]));
    await h.send(cat(Buffer.from('hello \xff\xfe garbage'), half, wrongSize, [0x55, 0xdb, 0x01], request(READ_REG, words(0x40001000))));
    const frames = await h.frames(2, 50);
    assert.equal(frames.length, 1);
    assert.equal(parseReply(frames[0]).value, 0x2ce0806f);
    assert.ok(chip.stats.badFrames >= 2);
  });

  it('host and chip at different bauds: bytes arrive garbled, nothing is answered', async () => {
    chip = new VirtualChip({ chip: 'esp32', resetLines: false, bootLog: false });
    h = new TestHost(chip.transport());
    await sync(h);
    await h.t.setBaudRate(460800);
    await h.send(request(READ_REG, words(0x40001000)));
    assert.equal((await h.frames(1, 50)).length, 0);
    assert.ok(chip.stats.garbledBytes > 0);
    await h.t.setBaudRate(115200);
    assert.equal((await h.command(READ_REG, words(0x40001000))).value, 0x00f01d83);
  });

  it('the ROM autobauds on the first SYNC; afterwards CHANGE_BAUDRATE moves both ends', async () => {
    chip = new VirtualChip({ chip: 'esp32s2', resetLines: false, bootLog: false });
    h = new TestHost(chip.transport());
    await h.t.setBaudRate(230400);
    assert.equal((await sync(h)).length, 8);
    assert.equal(chip.baud, 230400);
    const r = await h.command(0x0f, words(921600, 0));
    assert.equal(hex(r.data), '00000000');
    await h.t.setBaudRate(921600);
    assert.equal((await h.command(READ_REG, words(0x40001000))).value, 0x000007c6);
  });
});
