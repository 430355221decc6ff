import assert from 'node:assert/strict';
import { DialogQueue, matchItem } from '../../../src/ui/dialog_queue';

describe('ui/dialog_queue', () => {
  it('hands out queued answers in order, then none', () => {
    const q = new DialogQueue();
    q.push('Erase Flash', undefined);
    assert.equal(q.pending, 2);
    assert.deepEqual(q.take(), { answer: 'Erase Flash' });
    assert.deepEqual(q.take(), { answer: undefined });
    assert.equal(q.take(), undefined);
  });

  it('records dialogs and keeps at most 200', () => {
    const q = new DialogQueue();
    for (let i = 0; i < 205; i++) q.record({ kind: 'info', modal: false, message: `m${i}`, items: [] });
    assert.equal(q.records.length, 200);
    assert.equal(q.records[0].message, 'm5');
    assert.equal(q.records[0].queued, false);
  });

  it('matches a quick-pick item by value, label without codicons, or description', () => {
    const items = [
      { label: '$(circuit-board) /dev/ttyUSB0', description: 'Silicon Labs CP210x', value: '/dev/ttyUSB0' },
      { label: '$(beaker) Virtual ESP32-C3', description: 'dry run', value: 'virtual:esp32c3' },
    ];
    assert.equal(matchItem(items, 'virtual:esp32c3'), items[1]);
    assert.equal(matchItem(items, '/dev/ttyUSB0'), items[0]);
    assert.equal(matchItem(items, 'Virtual ESP32-C3'), items[1]);
    assert.equal(matchItem(items, 'Silicon Labs CP210x'), items[0]);
    assert.equal(matchItem(items, 'nothing'), undefined);
    assert.equal(matchItem(items, undefined), undefined);
  });
});
