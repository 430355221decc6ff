import { strict as assert } from 'node:assert';
import { connectLoader, parseBootBanner, syncFailureMessage } from '../../../src/core/protocol/connect';
import { LoaderConnection } from '../../../src/core/protocol/loader_connection';
import { resetStrategies } from '../../../src/core/transport/reset_strategies';
import { fakeRom } from './fake_rom';

describe('connecting: reset strategies and SYNC', () => {
  it('orders strategies as esptool does: tight 50/550 then classic 50/550 (classic only on Windows)', () => {
    assert.deepEqual(
      resetStrategies('default-reset', { platform: 'linux' }).map((s) => s.name),
      ['tight 50 ms', 'tight 550 ms', 'classic 50 ms', 'classic 550 ms'],
    );
    assert.deepEqual(
      resetStrategies('default-reset', { platform: 'win32' }).map((s) => s.name),
      ['classic 50 ms', 'classic 550 ms'],
    );
    assert.deepEqual(
      resetStrategies('default-reset', { usbJtag: true }).map((s) => s.name),
      ['usb-jtag'],
    );
    assert.deepEqual(
      resetStrategies('usb-reset').map((s) => s.name),
      ['usb-jtag'],
    );
    assert.deepEqual(
      resetStrategies('no-reset').map((s) => s.name),
      ['no-reset'],
    );
  });

  it('drives DTR/RTS in the classic order: (0,1) wait (1,0) wait DTR=0', async () => {
    const t = fakeRom();
    const [, , classic] = resetStrategies('default-reset', { platform: 'linux' });
    await classic.run(t, async () => undefined);
    assert.deepEqual(t.signals, [{ dtr: false, rts: true }, { dtr: true, rts: false }, { dtr: false }]);
  });

  it('syncs after a reset and reads the 8 SYNC replies', async () => {
    const t = fakeRom();
    const events: string[] = [];
    const c = await connectLoader(new LoaderConnection(t), 'default-reset', { onAttempt: (a, s) => events.push(`${a}:${s}`) });
    assert.equal(c.stubAlreadyRunning, false);
    assert.equal(c.resetLines, true);
    assert.equal(events.length, 1);
    assert.ok(t.signals.length > 0);
  });

  it('copes with a port without reset lines (ENOTTY): warns and syncs without reset', async () => {
    const t = fakeRom().noControlLines();
    const warnings: string[] = [];
    const c = await connectLoader(new LoaderConnection(t), 'default-reset', { onWarning: (m) => warnings.push(m) });
    assert.equal(c.resetLines, false);
    assert.equal(c.strategy, 'no-reset');
    assert.match(warnings[0], /no DTR\/RTS control lines; continuing without reset/);
  });

  it('recognises a running stub by SYNC replies with value 0', async () => {
    const t = fakeRom({ syncValue: 0, statusLen: 2 });
    const c = await connectLoader(new LoaderConnection(t), 'no-reset');
    assert.equal(c.stubAlreadyRunning, true);
    assert.equal(c.session.isStub, true);
  });

  it('gives up with a message that says what to try', async () => {
    const t = fakeRom({ syncs: false }).noControlLines();
    const t0 = Date.now();
    await assert.rejects(connectLoader(new LoaderConnection(t), 'default-reset', { attempts: 2 }), (e: Error) => {
      assert.match(e.message, /Failed to connect to the chip on fake:port: no reply to SYNC after 2 attempt\(s\)/);
      assert.match(e.message, /hold the BOOT button/);
      assert.match(e.message, /charge-only/);
      assert.match(e.message, /port is busy/);
      assert.match(e.message, /dialout group/);
      assert.match(e.message, /no DTR\/RTS reset lines/);
      return true;
    });
    assert.ok(Date.now() - t0 < 5000);
  });

  it('spots the boot banner: wrong boot mode vs TX path down', () => {
    assert.deepEqual(parseBootBanner('rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\n'), { bootMode: '0x13', waitingForDownload: false });
    assert.deepEqual(parseBootBanner('boot:0x3 (DOWNLOAD_BOOT(UART0))\nwaiting for download\n'), { bootMode: '0x3', waitingForDownload: true });
    assert.match(syncFailureMessage('/dev/ttyUSB0', 7, ['tight 50 ms'], 'boot:0x13 (SPI_FAST_FLASH_BOOT)', true), /Wrong boot mode 0x13/);
    assert.match(syncFailureMessage('/dev/ttyUSB0', 7, ['tight 50 ms'], 'boot:0x3\nwaiting for download', true), /TX\) path seems down/);
  });
});
