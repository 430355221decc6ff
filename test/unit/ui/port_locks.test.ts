import assert from 'node:assert/strict';
import { PortLocks } from '../../../src/ui/port_locks';

describe('ui/port_locks', () => {
  it('allows one job per port and refuses a second one politely', () => {
    const locks = new PortLocks();
    const release = locks.tryAcquire('/dev/ttyUSB0', 'Flash', 1000);
    assert.ok(release);
    assert.equal(locks.tryAcquire('/dev/ttyUSB0', 'Erase Flash'), undefined);
    assert.ok(locks.tryAcquire('/dev/ttyUSB1', 'Flash'), 'another port is independent');
    const job = locks.busy('/dev/ttyUSB0')!;
    assert.equal(PortLocks.refusal(job, 'Erase Flash'), '/dev/ttyUSB0 is busy: "Flash" is still running there. Wait for it to finish (or cancel it) before "Erase Flash".');
    release();
    release(); // twice is harmless
    assert.equal(locks.busy('/dev/ttyUSB0'), undefined);
    assert.ok(locks.tryAcquire('/dev/ttyUSB0', 'Flash'));
  });

  it('treats COM3 and com3 as the same port', () => {
    const locks = new PortLocks();
    assert.ok(locks.tryAcquire('COM3', 'Flash'));
    assert.equal(locks.tryAcquire('com3', 'Flash'), undefined);
  });

  it('an old release does not free a newer job on the same port', () => {
    const locks = new PortLocks();
    const first = locks.tryAcquire('p', 'A')!;
    first();
    locks.tryAcquire('p', 'B');
    first();
    assert.equal(locks.busy('p')?.operation, 'B');
  });
});
