import { strict as assert } from 'node:assert';
import { formatCompareTable, medianWhole, ratio, type CompareRow, type Measure } from '../../../tools/bench/bench_compare';

const m = (wholeS: number, floorS?: number): Measure => ({ ok: true, wholeS, ...(floorS === undefined ? {} : { floorS }) });

describe('bench table: floors', () => {
  it("prints what each goal would read at ours' floor and what it leaves for everything else", () => {
    const fresh: CompareRow = {
      section: 'stub',
      label: 'fresh',
      esptool: [m(8.8), m(8.6), m(9.0)],
      ours: [m(7.9, 7.2), m(8.0, 7.3), m(7.95, 7.25)],
      goal: { text: 'ours ≤ 0.85 × esptool', value: (r) => ratio(medianWhole(r.ours), medianWhole(r.esptool)), limit: 0.85 },
    };
    const sector: CompareRow = {
      section: 'stub',
      label: 'one sector',
      esptool: [m(8.8)],
      ours: [m(1.1, 0.6)],
      goal: { text: 'ours ≤ 10 % of our fresh flash', value: (r) => ratio(medianWhole(r.ours), medianWhole(fresh.ours)), limit: 0.1 },
    };
    const identical: CompareRow = {
      section: 'stub',
      label: 'identical',
      esptool: [m(8.8)],
      ours: [m(0.95, 0.59)],
      goal: { text: 'ours ≤ 1 s', value: (r) => medianWhole(r.ours), limit: 1, unit: 's' },
    };
    const qemu: CompareRow = { section: 'qemu', label: 'qemu', esptool: [m(7.1)], ours: [m(7.1)], goal: fresh.goal };
    const rom: CompareRow = { section: 'rom', label: 'rom', esptool: [m(13.5)], ours: [m(13.4, 7.4)], goal: fresh.goal };
    const lines = formatCompareTable([fresh, sector, identical, qemu, rom]);
    // The goal column: ours' medians (7.95 s against esptool's 8.8 s; 1.1 s against our 7.95 s fresh).
    assert.match(lines[2], /ours ≤ 0\.85 × esptool: 0\.90×\s+no$/);
    assert.match(lines[3], /ours ≤ 10 % of our fresh flash: 13\.8 %\s+no$/);
    assert.match(lines[4], /ours ≤ 1 s: 0\.95 s\s+yes$/);
    const at = lines.findIndex((l) => l.startsWith('Floors'));
    assert.ok(at > 0, lines.join('\n'));
    // fresh: floor 7.25 s / esptool 8.8 s = 0.82×; the goal allows 0.85 × 8.8 = 7.48 s, 0.23 s above the floor.
    assert.equal(lines[at + 1], '  fresh: floor 7.25 s, which alone reads 0.82× against the goal (≤ 0.85×); the goal allows 7.48 s in all, 0.23 s for everything else');
    // one sector: 0.6 s / our fresh 7.95 s = 7.5 %; the goal allows 0.795 s.
    assert.equal(lines[at + 2], '  one sector: floor 0.60 s, which alone reads 7.5 % against the goal (≤ 10 %); the goal allows 0.80 s in all, 0.20 s for everything else');
    assert.equal(lines[at + 3], '  identical: floor 0.59 s, which alone reads 0.59 s against the goal (≤ 1 s); the goal allows 1.00 s in all, 0.41 s for everything else');
    // A row without floors (QEMU: no chip trace) prints none, nor does a ROM row (the ROM writes before it answers).
    assert.ok(!lines.some((l) => l.startsWith('  qemu: floor') || l.startsWith('  rom: floor')));
  });
});
