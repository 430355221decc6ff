import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { fixPollerLostWakeups } from '../../../src/core/transport/poller_fix';

/** Stands in for bindings-cpp's JS Poller: records what it asks the native side for. */
class FakePoller extends EventEmitter {
  asked: number[] = [];
  poll(events: number): void {
    this.asked.push(events);
  }
  override once(event: string, cb: (...a: unknown[]) => void): this {
    this.poll(event === 'readable' ? 1 : event === 'writable' ? 2 : 4);
    return super.once(event, cb);
  }
}

describe('transport/poller_fix', () => {
  it('keeps a waiting writer subscribed when a reader starts polling (the lost wake-up)', () => {
    const poller = new FakePoller();
    assert.equal(fixPollerLostWakeups({ poller }), true);
    poller.once('writable', () => undefined); // a write hit EAGAIN
    poller.once('readable', () => undefined); // then a read waits too
    assert.deepEqual(poller.asked, [0b10, 0b11]);
  });

  it('keeps a waiting reader subscribed when a writer starts polling', () => {
    const poller = new FakePoller();
    fixPollerLostWakeups({ poller });
    poller.once('readable', () => undefined);
    poller.once('writable', () => undefined);
    assert.deepEqual(poller.asked, [0b01, 0b11]);
  });

  it('patches once and ignores ports without a poller (Windows)', () => {
    const poller = new FakePoller();
    assert.equal(fixPollerLostWakeups({ poller }), true);
    assert.equal(fixPollerLostWakeups({ poller }), false);
    assert.equal(fixPollerLostWakeups({}), false);
    assert.equal(fixPollerLostWakeups(undefined), false);
  });
});
