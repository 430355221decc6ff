import { strict as assert } from 'node:assert';
import { openTransport } from '../../../src/core/transport/open_port';
import { setVirtualPortOpener, virtualPortOpener } from '../../../src/core/transport/virtual_port_registry';

describe('virtual ports are injected into the core', () => {
  it('without a registered opener a virtual port is a clear error (the core never loads src/sim itself)', async () => {
    const saved = virtualPortOpener();
    setVirtualPortOpener(undefined);
    try {
      await assert.rejects(openTransport('virtual:esp32c3'), /"virtual:esp32c3" is a virtual port, but virtual chips are not available here/);
    } finally {
      setVirtualPortOpener(saved);
    }
  });
});
