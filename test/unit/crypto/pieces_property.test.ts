/**
 * Property: encrypting in pieces equals encrypting at once — for random flash offsets, sizes
 * and cut points (seeded, reproducible), both schemes, both directions.
 */
import * as assert from 'node:assert/strict';
import { decryptFlashData, encryptFlashData, FlashCipher, keyFromBytes, type CryptScheme, type FlashKey } from '../../../src/core/crypto/flash_crypto';
import { SeededRandom } from './seeded_random';

const CASES = 220;

function randomKey(rnd: SeededRandom, scheme: CryptScheme): FlashKey {
  const lengths = scheme === 'esp32-aes' ? [24, 32] : [16, 32, 64];
  return keyFromBytes(rnd.bytes(lengths[rnd.int(0, lengths.length - 1)]), scheme);
}

/** Cut [0, length) at random byte positions. */
function randomCuts(rnd: SeededRandom, length: number, granularity: number): number[] {
  const cuts: number[] = [];
  for (let p = 0; p < length;) {
    const step = rnd.next() < 0.2 ? rnd.int(0, 2) : rnd.int(1, 300);
    p = Math.min(length, p + step * granularity);
    cuts.push(p);
  }
  return cuts;
}

for (const scheme of ['esp32-aes', 'xts-aes'] as const) {
  describe(`crypto: pieces equal one call (${scheme}, ${CASES} seeded cases)`, () => {
    it('FlashCipher fed at random byte cuts gives encryptFlashData / decryptFlashData output', () => {
      const rnd = new SeededRandom(scheme === 'esp32-aes' ? 1 : 2);
      for (let n = 0; n < CASES; n++) {
        const key = randomKey(rnd, scheme);
        const address = rnd.int(0, 0xfffff) * 16;
        const data = rnd.bytes(rnd.int(0, 1500));
        const conf = rnd.int(0, 15);
        const padTo = [16, 32, 64][rnd.int(0, 2)];
        const opts = { flashCryptConfig: conf, padTo };
        const once = encryptFlashData(key, address, data, opts);
        const cipher = new FlashCipher(key, address, 'encrypt', opts);
        const parts: Buffer[] = [];
        let prev = 0;
        for (const cut of randomCuts(rnd, data.length, 1)) {
          parts.push(cipher.update(data.subarray(prev, cut)));
          prev = cut;
        }
        parts.push(cipher.final());
        const ctx = `case ${n}: ${key.description} @0x${address.toString(16)} len ${data.length} conf ${conf} padTo ${padTo}`;
        assert.ok(Buffer.concat(parts).equals(once), ctx);
        assert.equal(once.length, Math.ceil(data.length / padTo) * padTo, ctx);

        const dec = new FlashCipher(key, address, 'decrypt', opts);
        const back: Buffer[] = [];
        prev = 0;
        for (const cut of randomCuts(rnd, once.length, 1)) {
          back.push(dec.update(once.subarray(prev, cut)));
          prev = cut;
        }
        back.push(dec.final());
        const plain = Buffer.concat(back);
        assert.ok(plain.equals(decryptFlashData(key, address, once, opts)), ctx);
        assert.ok(plain.subarray(0, data.length).equals(data), ctx);
        assert.ok(
          plain.subarray(data.length).every((b) => b === 0xff),
          `${ctx}: padding is 0xFF`,
        );
      }
    });

    it('separate calls for 16-byte-aligned pieces at their own addresses equal one call', () => {
      const rnd = new SeededRandom(scheme === 'esp32-aes' ? 3 : 4);
      for (let n = 0; n < CASES; n++) {
        const key = randomKey(rnd, scheme);
        const address = rnd.int(0, 0xfffff) * 16;
        const data = rnd.bytes(rnd.int(1, 100) * 16);
        const opts = { flashCryptConfig: rnd.int(0, 15) };
        const once = encryptFlashData(key, address, data, opts);
        const parts: Buffer[] = [];
        let prev = 0;
        for (const cut of randomCuts(rnd, data.length, 16)) {
          parts.push(encryptFlashData(key, address + prev, data.subarray(prev, cut), opts));
          prev = cut;
        }
        assert.ok(Buffer.concat(parts).equals(once), `case ${n} @0x${address.toString(16)} len ${data.length}`);
      }
    });
  });
}
