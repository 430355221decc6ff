import assert from 'node:assert/strict';
import type { FlashEvent } from '../../../src/core/flash/events';
import { PlanProgress, StepBatcher } from '../../../src/ui/progress';

function run(p: PlanProgress, events: FlashEvent[]): number[] {
  return events.map((e) => p.update(e)?.increment ?? 0);
}

describe('ui/progress', () => {
  const job: FlashEvent[] = [
    { kind: 'plan', totalBytes: 4000, segments: 2 },
    { kind: 'segment-start', index: 0, name: 'bootloader', offset: 0, size: 1000, method: 'compressed' },
    { kind: 'progress', index: 0, name: 'bootloader', written: 500, total: 1000, sent: 300, kbitPerSecond: 100 },
    { kind: 'progress', index: 0, name: 'bootloader', written: 1000, total: 1000, sent: 600, kbitPerSecond: 120 },
    { kind: 'segment-done', index: 0, name: 'bootloader', bytes: 1000, sentBytes: 600, seconds: 0.1, kbitPerSecond: 120 },
    { kind: 'segment-start', index: 1, name: 'app', offset: 0x10000, size: 3000, method: 'compressed' },
    { kind: 'progress', index: 1, name: 'app', written: 1500, total: 3000, sent: 900, kbitPerSecond: 612.4 },
    { kind: 'progress', index: 1, name: 'app', written: 3000, total: 3000, sent: 1800, kbitPerSecond: 600 },
    { kind: 'segment-done', index: 1, name: 'app', bytes: 3000, sentBytes: 1800, seconds: 0.3, kbitPerSecond: 600 },
    { kind: 'done', seconds: 1, written: ['bootloader', 'app'], skipped: [] },
  ];

  it('reports increments over the whole plan that sum to exactly 100', () => {
    const p = new PlanProgress();
    const inc = run(p, job);
    assert.ok(inc.every((i) => i >= 0));
    assert.equal(
      inc.reduce((a, b) => a + b, 0),
      100,
    );
    assert.equal(p.percent, 100);
    assert.deepEqual(
      inc.slice(0, 4).map((i) => Math.round(i * 10) / 10),
      [0, 0, 12.5, 12.5],
    );
  });

  it('says which segment, where, how far and how fast', () => {
    const p = new PlanProgress();
    let msg: string | undefined;
    for (const e of job.slice(0, 7)) msg = p.update(e)?.message ?? msg;
    assert.equal(msg, 'app @0x10000 — 1/3 KiB, 612 kbit/s');
    assert.equal(p.segment, 'app');
    assert.equal(Math.round(p.percent), 63);
  });

  it('starts each segment without a speed: the previous segment’s is never shown as the new one’s first', () => {
    const p = new PlanProgress();
    for (const e of job.slice(0, 5)) p.update(e);
    assert.equal(p.kbitPerSecond, 120);
    p.update(job[5]);
    assert.equal(p.segment, 'app');
    assert.equal(p.kbitPerSecond, undefined);
    p.update(job[6]);
    assert.equal(p.kbitPerSecond, 612.4);
  });

  it('counts a skipped segment as done and stops at a failure without reaching 100', () => {
    const p = new PlanProgress(2000);
    run(p, [
      { kind: 'segment-start', index: 0, name: 'a', offset: 0, size: 1000, method: 'x' },
      { kind: 'skipped', index: 0, name: 'a', reason: 'same' },
    ]);
    assert.equal(Math.round(p.percent), 50);
    const f = p.update({ kind: 'failed', message: 'boom', written: [], notWritten: ['b'] });
    assert.deepEqual(f, { increment: 0, message: 'failed: boom' });
    assert.equal(p.update({ kind: 'done', seconds: 1, written: [], skipped: [] }), undefined);
    assert.equal(Math.round(p.percent), 50);
  });

  it('never goes backwards or past 100 when progress repeats', () => {
    const p = new PlanProgress(1000);
    const inc = run(p, [
      { kind: 'segment-start', index: 0, name: 'a', offset: 0, size: 1000, method: 'x' },
      { kind: 'progress', index: 0, name: 'a', written: 800, total: 1000, sent: 1, kbitPerSecond: 1 },
      { kind: 'progress', index: 0, name: 'a', written: 400, total: 1000, sent: 1, kbitPerSecond: 1 },
      { kind: 'progress', index: 0, name: 'a', written: 5000, total: 1000, sent: 1, kbitPerSecond: 1 },
      { kind: 'done', seconds: 1, written: ['a'], skipped: [] },
    ]);
    assert.equal(inc[2], 0);
    assert.ok(p.percent <= 100);
    assert.equal(
      inc.reduce((a, b) => a + b, 0),
      100,
    );
  });
});

describe('ui/progress StepBatcher', () => {
  it('sends at most one step per interval, sums increments and flushes the rest', () => {
    let t = 0;
    const sent: Array<{ increment: number; message?: string }> = [];
    const b = new StepBatcher(
      (s) => sent.push(s),
      100,
      () => t,
    );
    b.add({ increment: 1, message: 'a' });
    t = 10;
    b.add({ increment: 2, message: 'b' });
    t = 50;
    b.add({ increment: 3 });
    assert.deepEqual(sent, [{ increment: 1, message: 'a' }]);
    t = 120;
    b.add({ increment: 4, message: 'c' });
    assert.deepEqual(sent[1], { increment: 9, message: 'c' });
    b.add({ increment: 5 });
    b.add({ increment: 0, message: 'done' }, true);
    assert.deepEqual(sent[2], { increment: 5, message: 'done' });
    b.flush();
    assert.equal(sent.length, 3, 'nothing pending: no empty step');
    assert.equal(
      sent.reduce((n, s) => n + s.increment, 0),
      15,
    );
  });
});
