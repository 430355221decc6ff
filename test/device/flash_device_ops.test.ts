/**
 * Device operations and the less common write paths through the pty: device info, read, erase,
 * verify, skip-unchanged, host encryption, verification of device encryption with the key,
 * recovery from corrupted frames.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { WriteSegment } from '../../src/core/flash/api';
import type { FlashEvent } from '../../src/core/flash/events';
import { eraseFlash, eraseRegion, readDeviceInfo, readFlash, verifySegments } from '../../src/core/flash/device_ops';
import { flashSegments } from '../../src/core/flash/flash_job';
import { Op } from '../../src/core/protocol/opcodes';
import { eventText, flashVirtual, generatedImage, pseudoRandom, ptyChipsPerTest } from './flash_helpers';

const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);

describe('device operations through a pseudo-terminal', function () {
  this.timeout(30_000);
  const chips = ptyChipsPerTest();
  let tmp: string | undefined;

  afterEach(async () => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    tmp = undefined;
  });

  it('reads chip, MAC, flash size and security state (ROM, no stub by default)', async () => {
    const info = await readDeviceInfo({ port: 'virtual:esp32s3:dev:flash=8MB:mac=24-0a-c4-12-34-56' });
    assert.equal(info.chip, 'esp32s3');
    assert.equal(info.mac, '24:0a:c4:12:34:56');
    assert.equal(info.flashSize, 8 * 1024 * 1024);
    assert.equal(info.flashEncryption, 'development');
    assert.equal(info.keyPresent, true);
    assert.equal(info.secureBoot, false);
    assert.equal(info.stub, false);
    const rel = await readDeviceInfo({ port: 'virtual:esp32:release:secureboot', stub: true });
    assert.equal(rel.chip, 'esp32');
    assert.equal(rel.flashEncryption, 'release');
    assert.equal(rel.secureBoot, true);
    assert.equal(rel.flashCryptConfig, 0xf);
    assert.equal(rel.stub, true);
  });

  it('reads flash through the stub and through the ROM (READ_FLASH_SLOW)', async () => {
    const pty = await chips.start({ chip: 'esp32c6' });
    const data = pseudoRandom(0x3000 + 123, 'read');
    pty.chip.preloadFlash(0x20000, data);
    assert.deepEqual(Buffer.from(await readFlash({ port: pty.path }, 0x20000, data.length)), Buffer.from(data));
    assert.deepEqual(Buffer.from(await readFlash({ port: pty.path, stub: false }, 0x20010, 300)), Buffer.from(data.subarray(0x10, 0x10 + 300)));
  });

  it('erases a region (stub and ROM) and the whole flash; refuses unaligned regions', async () => {
    const pty = await chips.start({ chip: 'esp32h2' });
    pty.chip.preloadFlash(0x10000, new Uint8Array(0x6000).fill(0x55));
    await eraseRegion({ port: pty.path }, 0x11000, 0x2000);
    const after = pty.chip.readFlash(0x10000, 0x6000);
    assert.ok(after.subarray(0, 0x1000).every((b) => b === 0x55));
    assert.ok(after.subarray(0x1000, 0x3000).every((b) => b === 0xff));
    assert.ok(after.subarray(0x3000).every((b) => b === 0x55));
    await eraseRegion({ port: pty.path, stub: false }, 0x13000, 0x1000);
    assert.ok(pty.chip.readFlash(0x13000, 0x1000).every((b) => b === 0xff));
    assert.ok(pty.chip.readFlash(0x14000, 0x1000).every((b) => b === 0x55));
    await assert.rejects(eraseRegion({ port: pty.path }, 0x10100, 0x1000), /Erase offset 0x10100 is not a multiple of 4 KiB \(0x1000\); use 0x10000/);
    await eraseFlash({ port: pty.path });
    assert.ok(pty.chip.readFlash(0x10000, 0x6000).every((b) => b === 0xff));
  });

  it('skips segments the flash already holds, and verifySegments sees a changed byte', async () => {
    const pty = await chips.start({ chip: 'esp32c3', stub: 'current' });
    const segs: WriteSegment[] = [
      { name: 'bootloader', offset: 0x0, bytes: generatedImage('esp32c3', 12_000, 'b'), encrypt: 'off' },
      { name: 'app', offset: 0x10000, bytes: generatedImage('esp32c3', 100_000, 'a'), encrypt: 'off' },
    ];
    const settings = { mode: 'dio' as const, size: 'detect', freq: '80m' };
    const first = await flashSegments(segs, { port: pty.path, settings });
    assert.equal(first.ok, true, first.error);
    const events: string[] = [];
    const second = await flashSegments(segs, { port: pty.path, settings, onEvent: (e) => events.push(e.kind) });
    assert.equal(second.ok, true, second.error);
    assert.deepEqual(
      second.segments.map((s) => s.status),
      ['skipped', 'skipped'],
    );
    assert.ok(!events.includes('segment-start'));
    assert.ok(second.wireBytesOut < first.wireBytesOut / 5);
    const ok = await verifySegments(segs, { port: pty.path, settings });
    assert.deepEqual(
      ok.map((r) => r.ok),
      [true, true],
    );
    pty.chip.preloadFlash(0x10000 + 5000, Uint8Array.of(pty.chip.readFlash(0x10000 + 5000, 1)[0] ^ 1));
    const bad = await verifySegments(segs, { port: pty.path, settings });
    assert.deepEqual(
      bad.map((r) => r.ok),
      [true, false],
    );
    assert.notEqual(bad[1].expected, bad[1].actual);
    const third = await flashSegments(segs, { port: pty.path, settings, skipUnchanged: false });
    assert.deepEqual(
      third.segments.map((s) => s.status),
      ['written', 'written'],
    );
  });

  it('host encryption: writes the ciphertext plain, verifies it by MD5, and the chip decrypts it', async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'esp-flasher-key-'));
    const keyFile = path.join(tmp, 'key.bin');
    fs.writeFileSync(keyFile, KEY);
    // Release mode: the only way to update is ciphertext made on the host (plain writes are refused).
    const segs: WriteSegment[] = [
      { name: 'app', offset: 0x10000, bytes: generatedImage('esp32c3', 60_000, 'h'), encrypt: 'host' },
      { name: 'otadata', offset: 0xd000, bytes: pseudoRandom(0x2000, 'ota'), encrypt: 'host' },
    ];
    const run = await flashVirtual(`virtual:esp32c3:release:key=${Buffer.from(KEY).toString('hex')}`, segs, { hostKey: { keyFile } });
    try {
      assert.equal(run.result.ok, true, `${run.result.error}\n${eventText(run.events)}`);
      assert.ok(run.events.some((e) => e.kind === 'segment-start' && e.name === 'app' && /host-encrypted ciphertext, plain write/.test(e.method)));
      assert.ok(run.events.some((e) => e.kind === 'verified' && e.name === 'app'));
      assert.deepEqual(Buffer.from(run.chip.decryptFlash(0x10000, segs[0].bytes.length)), Buffer.from(segs[0].bytes));
      assert.deepEqual(Buffer.from(run.chip.decryptFlash(0xd000, 0x2000)), Buffer.from(segs[1].bytes));
    } finally {
      run.chip.close();
    }
  });

  it('device encryption with the key given: verified against the expected ciphertext', async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'esp-flasher-key-'));
    const keyFile = path.join(tmp, 'key.bin');
    fs.writeFileSync(keyFile, KEY);
    const segs: WriteSegment[] = [{ name: 'app', offset: 0x20000, bytes: generatedImage('esp32s2', 40_000, 'd'), encrypt: 'device' }];
    const run = await flashVirtual(`virtual:esp32s2:dev:stub=current:key=${Buffer.from(KEY).toString('hex')}`, segs, { hostKey: { keyFile } });
    try {
      assert.equal(run.result.ok, true, `${run.result.error}\n${eventText(run.events)}`);
      assert.ok(run.events.some((e) => e.kind === 'verified' && e.name === 'app'));
      assert.equal(run.result.segments[0].verified, true);
    } finally {
      run.chip.close();
    }
  });

  it('recovers from a corrupted data frame: the stub gets the rejected block again; the ROM, which used up its number, the segment from BEGIN', async () => {
    const pty = await chips.start({ chip: 'esp32c3', stub: 'current' });
    const seg: WriteSegment = { name: 'app', offset: 0x10000, bytes: generatedImage('esp32c3', 150_000, 'f'), encrypt: 'off' };
    pty.chip.faults.corruptFrame({ direction: 'in', opcode: Op.FLASH_DEFL_DATA, nth: 2 });
    const warnings: string[] = [];
    const r1 = await flashSegments([seg], { port: pty.path, onEvent: (e) => e.kind === 'warning' && warnings.push(e.message) });
    assert.equal(r1.ok, true, r1.error);
    assert.deepEqual(
      warnings.filter((w) => /restarting|FLASH_DEFL_DATA/.test(w)),
      [],
    );
    assert.deepEqual(Buffer.from(pty.chip.readFlash(0x10000, seg.bytes.length)), Buffer.from(seg.bytes));

    pty.chip.reset('download');
    pty.chip.faults.corruptFrame({ direction: 'in', opcode: Op.FLASH_DATA, nth: 3 });
    const seg2 = { ...seg, offset: 0x80000, bytes: pseudoRandom(20_000, 'rom') };
    const romWarnings: string[] = [];
    const r2 = await flashSegments([seg2], { port: pty.path, stub: false, onEvent: (e) => e.kind === 'warning' && romWarnings.push(e.message) });
    assert.equal(r2.ok, true, r2.error);
    assert.deepEqual(Buffer.from(pty.chip.readFlash(0x80000, seg2.bytes.length)), Buffer.from(seg2.bytes));
    assert.deepEqual(
      romWarnings.filter((w) => /FLASH_DATA/.test(w)),
      [`segment "app" block 2 at 0x80800: FLASH_DATA failed — ROM error 0x07: checksum error — restarting segment "app" from its start (attempt 2 of 3).`],
    );
    assert.equal(r2.segments[0].verified, true);
  });

  it('ROM: a compressed write that fails part-way resumes after the 32 KiB pieces the chip confirms by MD5, and verifies', async () => {
    const pty = await chips.start({ chip: 'esp32c3', stub: 'current' });
    const seg: WriteSegment = { name: 'app', offset: 0x10000, bytes: generatedImage('esp32c3', 300_000, 'r'), encrypt: 'off' };
    pty.chip.faults.corruptFrame({ direction: 'in', opcode: Op.FLASH_DEFL_DATA, nth: 60 });
    const events: FlashEvent[] = [];
    const r = await flashSegments([seg], { port: pty.path, stub: false, onEvent: (e) => events.push(e) });
    assert.equal(r.ok, true, `${r.error}\n${eventText(events)}`);
    const warnings = events.flatMap((e) => (e.kind === 'warning' && /FLASH_DEFL_DATA/.test(e.message) ? [e.message] : []));
    assert.equal(warnings.length, 1, warnings.join('\n'));
    const m =
      /compressed block 59 \(data for 0x[0-9a-f]+–0x[0-9a-f]+\): FLASH_DEFL_DATA failed — ROM error 0x07: checksum error — resuming segment "app" at 0x([0-9a-f]+) \(the 0x([0-9a-f]+) bytes before it are on flash, confirmed by MD5\)\.$/.exec(
        warnings[0],
      );
    assert.ok(m, warnings[0]);
    assert.equal(parseInt(m[2], 16) % 0x8000, 0);
    assert.equal(parseInt(m[1], 16), 0x10000 + parseInt(m[2], 16));
    assert.deepEqual(Buffer.from(pty.chip.readFlash(0x10000, seg.bytes.length)), Buffer.from(seg.bytes));
    assert.equal(r.segments[0].verified, true);
  });

  it('a lost ACK of a compressed stub block restarts the segment uncompressed and writes each byte once', async () => {
    const pty = await chips.start({ chip: 'esp32c3', stub: 'current' });
    const seg: WriteSegment = { name: 'app', offset: 0x10000, bytes: generatedImage('esp32c3', 150_000, 'g'), encrypt: 'off' };
    const seg2: WriteSegment = { name: 'data', offset: 0x60000, bytes: generatedImage('esp32c3', 40_000, 'h'), encrypt: 'off' };
    pty.chip.faults.dropFrame({ direction: 'out', opcode: Op.FLASH_DEFL_DATA, nth: 2 });
    const events: FlashEvent[] = [];
    const r = await flashSegments([seg, seg2], { port: pty.path, skipUnchanged: false, onEvent: (e) => events.push(e) });
    assert.equal(r.ok, true, `${r.error}\n${eventText(events)}`);
    const warnings = events.flatMap((e) => (e.kind === 'warning' && /FLASH_DEFL_DATA|restarting/.test(e.message) ? [e.message] : []));
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0], /^No serial data received for the FLASH_DEFL_DATA reply .* restarting segment "app" from its start, uncompressed \(attempt 2 of 3\)\.$/);
    const second = events.find((e) => e.kind === 'segment-start' && e.name === 'data');
    assert.match(second?.kind === 'segment-start' ? second.method : '', /sent uncompressed: a compressed write of segment "app" failed part-way/);
    assert.deepEqual(Buffer.from(pty.chip.readFlash(0x10000, seg.bytes.length)), Buffer.from(seg.bytes));
    assert.deepEqual(Buffer.from(pty.chip.readFlash(0x60000, seg2.bytes.length)), Buffer.from(seg2.bytes));
    assert.equal(r.segments[0].verified, true);
    assert.equal(r.segments[1].verified, true);
  });
});
