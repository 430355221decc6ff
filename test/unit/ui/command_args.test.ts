import assert from 'node:assert/strict';
import { parseCommandArgs } from '../../../src/ui/command_args';
import type { PlanRow } from '../../../src/ui/plan_rows';

describe('ui/command_args', () => {
  it('reads an options object from a test or a task', () => {
    assert.deepEqual(parseCommandArgs([{ port: 'virtual:esp32c3', folder: '/w', force: true, yes: true, offset: '0x10000', segment: 'app' }]), {
      port: 'virtual:esp32c3',
      folder: '/w',
      force: true,
      yes: true,
      offset: 0x10000,
      segment: 'app',
    });
  });

  it('reads a tree row: segment, partition and file', () => {
    const row: PlanRow = {
      id: 'segment:app@65536',
      kind: 'segment',
      label: 'app',
      description: '',
      tooltip: '',
      contextValue: 'segment.partition',
      icon: 'file-binary',
      segmentName: 'app',
      partitionLabel: 'factory',
      file: '/b/app.bin',
    };
    assert.deepEqual(parseCommandArgs([row]), { segment: 'app', partition: 'factory', file: '/b/app.bin' });
  });

  it('reads an explorer Uri (file scheme only) and ignores the multi-select array', () => {
    const uri = { scheme: 'file', fsPath: '/b/flasher_args.json' };
    assert.deepEqual(parseCommandArgs([uri, [uri]]), { file: '/b/flasher_args.json' });
    assert.deepEqual(parseCommandArgs([{ scheme: 'untitled', fsPath: 'x' }]), {});
  });

  it('ignores junk and takes a bare string as the port', () => {
    assert.deepEqual(parseCommandArgs([undefined, null, 3, { offset: -1, force: 'yes' }]), {});
    assert.deepEqual(parseCommandArgs(['COM3']), { port: 'COM3' });
  });
});
