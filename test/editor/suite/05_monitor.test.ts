import * as assert from 'assert';
import * as vscode from 'vscode';
import type { FlashResult } from '../../../src/core/flash/api';
import { extensionApi } from '../support/extension_api';
import { waitFor } from '../support/wait_for';

// DTR/RTS modelled beside the pty, and an app that prints a tick every 50 ms.
const PORT = 'virtual:esp32s3:resetlines:ticks=50'; // the test workspace is an ESP32-S3 build

describe('Serial monitor terminal', function () {
  this.timeout(90_000);

  it('Flash and Monitor: opens "ESP Monitor (<port>)", the flash borrows its port (paused, resumed), Ctrl-] closes it', async () => {
    const api = await extensionApi();
    await api.refresh();
    const before = api.outputLines().length;
    const result = (await vscode.commands.executeCommand('espFlasher.flashAndMonitor', { port: PORT })) as FlashResult | undefined;
    const lines = (): string[] => api.outputLines().slice(before);
    assert.strictEqual(result?.ok, true, lines().join('\n'));
    const terminal = vscode.window.terminals.find((t) => t.name === `ESP Monitor (${PORT})`);
    assert.ok(terminal, `terminals: ${vscode.window.terminals.map((t) => t.name).join(', ')}`);
    await waitFor(() => lines().some((l) => /Monitor on .*: running\.$/.test(l)), 10_000, 'the monitor to resume after the flash');
    const text = lines().join('\n');
    assert.match(text, /Monitor on virtual:esp32s3:resetlines:ticks=50: open in the terminal/);
    assert.match(text, /Monitor on .*: paused, a job is using the port\.[\s\S]*Monitor on .*: running\./);
    terminal.sendText('\x1d', false); // Ctrl-]
    await waitFor(() => !vscode.window.terminals.includes(terminal), 10_000, 'the monitor terminal to close');
    await waitFor(() => lines().some((l) => /Monitor on .*: closed\.$/.test(l)), 10_000, 'the monitor to release the port');
  });
});
