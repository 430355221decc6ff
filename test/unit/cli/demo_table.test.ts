import { strict as assert } from 'node:assert';
import type { WriteSegment } from '../../../src/core/flash/api';
import { checkSegment, formatCheckTable } from '../../../tools/demo/demo';
import { formatBenchTable, type BenchRow } from '../../../tools/bench/bench';

const file = Uint8Array.from({ length: 32 }, (_, i) => i);
const cipher = Uint8Array.from(file, (b) => b ^ 0x5a);
const seg = (encrypt: WriteSegment['encrypt']): WriteSegment => ({ name: 'app', offset: 0x10000, bytes: file, encrypt });

describe('cli demo check table', () => {
  it('passes an encrypted segment only when raw differs and both decryptions give the file', () => {
    assert.equal(checkSegment(seg('device'), file, cipher, file, file).ok, true);
    assert.equal(checkSegment(seg('device'), file, file, file, file).ok, false, 'plaintext on flash is not encrypted');
    assert.equal(checkSegment(seg('device'), file, cipher, cipher, file).ok, false, 'host decryption must give the file');
    assert.equal(checkSegment(seg('device'), file, cipher, file, cipher).ok, false, "the chip's view must give the file");
  });

  it('passes a plain segment only when the raw flash is the file', () => {
    assert.equal(checkSegment(seg('off'), file, file, undefined, file).ok, true);
    assert.equal(checkSegment(seg('off'), file, cipher, undefined, cipher).ok, false);
  });

  it('prints one aligned row per segment and flags mismatches', () => {
    const lines = formatCheckTable([checkSegment(seg('device'), file, cipher, file, file), { ...checkSegment(seg('off'), file, cipher, undefined, cipher), name: 'storage' }]);
    assert.match(lines[0], /^segment +offset +size +encrypted\? +raw≠plain\? +decrypted==file\? +chip decrypt==file\? +result$/);
    assert.match(lines[2], /^app +0x00010000 +32 +yes +yes +yes +yes +ok$/);
    assert.match(lines[3], /^storage +0x00010000 +32 +no +yes +NO \(plain\) +NO \(raw\) +MISMATCH$/);
  });
});

describe('cli bench table', () => {
  it('prints seconds, effective rate, wire bytes and wire use per row', () => {
    const row: BenchRow = {
      baud: 921600,
      mode: 'compressed',
      loader: 'stub',
      ok: true,
      method: 'compressed (stub)',
      bytes: 1048576,
      seconds: 6.83,
      effectiveKbps: 1228.2,
      wireBytes: 616659,
      wireBytesBack: 900,
      wireFraction: 0.9797,
    };
    const lines = formatBenchTable([row, { ...row, ok: false, error: 'Lost contact' }]);
    assert.match(lines[2], /^921600 +compressed +stub +compressed \(stub\) +6\.83 +1228 +616659 +98\.0%$/);
    assert.match(lines[3], /FAILED +Lost contact$/);
  });
});
