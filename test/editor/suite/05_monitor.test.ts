import * as assert from 'assert';
import * as vscode from 'vscode';
import type { FlashResult } from '../../../src/core/flash/api';
import { EXTENSION_ID, extensionApi } from '../support/extension_api';
import { waitFor } from '../support/wait_for';

// DTR/RTS modelled beside the pty, and an app that prints a tick every 50 ms.
const PORT = 'virtual:esp32s3:resetlines:ticks=50'; // the test workspace is an ESP32-S3 build
// The workspace's build is a flash-encryption build: flasher_args.json asks for "after": "no_reset".
const STAYS = /finished; the chip is staying in the (loader|flasher stub) \(the build asks for no reset after flashing\)\. Reset it into the new firmware and monitor it\?/;

/** Waits until the monitor terminal of `port` shows `pattern`; on timeout says what it shows then. */
async function waitForMonitor(port: string, pattern: RegExp, ms: number, what: string): Promise<void> {
  const api = await extensionApi();
  await waitFor(() => pattern.test(api.monitorText(port)), ms, what).catch((e: Error) => {
    throw new Error(`${e.message}; the terminal shows:\n${api.monitorText(port).slice(-2000)}`);
  });
}

async function closeTerminal(terminal: vscode.Terminal): Promise<void> {
  terminal.sendText('\x1d', false); // Ctrl-]
  await waitFor(() => !vscode.window.terminals.includes(terminal), 10_000, 'the monitor terminal to close');
}

describe('Serial monitor terminal', function () {
  this.timeout(90_000);

  it('Flash and Monitor: opens "ESP Monitor (<port>)", the flash borrows its port (paused, resumed); the chip left in the loader: "Reset and Monitor" boots it in that terminal; Ctrl-] closes it', async () => {
    const api = await extensionApi();
    await api.refresh();
    const before = api.outputLines().length;
    const dialogsBefore = api.dialogs().length;
    const result = (await vscode.commands.executeCommand('espFlasher.flashAndMonitor', { port: PORT })) as FlashResult | undefined;
    const lines = (): string[] => api.outputLines().slice(before);
    assert.strictEqual(result?.ok, true, lines().join('\n'));
    const terminal = vscode.window.terminals.find((t) => t.name === `ESP Monitor (${PORT})`);
    assert.ok(terminal, `terminals: ${vscode.window.terminals.map((t) => t.name).join(', ')}`);
    await waitFor(() => lines().some((l) => /Monitor on .*: running\.$/.test(l)), 10_000, 'the monitor to resume after the flash');
    const text = lines().join('\n');
    assert.match(text, /Monitor on virtual:esp32s3:resetlines:ticks=50: open in the terminal/);
    assert.match(text, /Monitor on .*: paused, a job is using the port\.[\s\S]*Monitor on .*: running\./);
    assert.match(api.monitorText(PORT), /--- Resumed after a flash job\./);

    // The build asked for no reset: the chip waits in the loader, and the notification offers the way out.
    const offer = api
      .dialogs()
      .slice(dialogsBefore)
      .find((d) => !d.modal && STAYS.test(d.message));
    assert.ok(
      offer,
      `no "staying in the loader" notification: ${JSON.stringify(
        api
          .dialogs()
          .slice(dialogsBefore)
          .map((d) => d.message),
      )}`,
    );
    assert.deepStrictEqual(offer.items, ['Reset and Monitor']);
    assert.doesNotMatch(api.monitorText(PORT).split('--- Resumed after a flash job.')[1] ?? '', /Calling app_main\(\)/, 'the app has not started yet');
    // What its button runs: the open monitor resets the chip into the new firmware and shows the boot.
    await vscode.commands.executeCommand('espFlasher.resetAndMonitor', { port: PORT });
    await waitForMonitor(PORT, /--- Reset the chip into its app \(DTR\/RTS\)\.[\s\S]*Calling app_main\(\)[\s\S]*app: tick 2\b/, 15_000, 'the app to boot in the monitor terminal');
    assert.strictEqual(vscode.window.terminals.filter((t) => t.name === `ESP Monitor (${PORT})`).length, 1, 'the same terminal, not a second monitor');
    await closeTerminal(terminal);
    await waitFor(() => lines().some((l) => /Monitor on .*: closed\.$/.test(l)), 10_000, 'the monitor to release the port');
  });

  it('Flash (no monitor open) of the no-reset build, then "Reset and Monitor": a monitor terminal opens and resets the chip into its app', async () => {
    // A virtual chip lives as long as its port is open (a fresh chip on every open), so here the
    // boot is the fresh chip's; test 1 shows the flashed firmware booting (the monitor held the port).
    const port = 'virtual:esp32s3:resetlines:ticks=40';
    const api = await extensionApi();
    const dialogsBefore = api.dialogs().length;
    const result = (await vscode.commands.executeCommand('espFlasher.flash', { port })) as FlashResult | undefined;
    assert.strictEqual(result?.ok, true, api.outputLines().slice(-20).join('\n'));
    assert.ok(
      api
        .dialogs()
        .slice(dialogsBefore)
        .some((d) => !d.modal && STAYS.test(d.message) && d.items.includes('Reset and Monitor')),
      JSON.stringify(api.dialogs().slice(dialogsBefore)),
    );
    assert.ok(!vscode.window.terminals.some((t) => t.name === `ESP Monitor (${port})`), 'no monitor before the action');
    await vscode.commands.executeCommand('espFlasher.resetAndMonitor', { port });
    const terminal = vscode.window.terminals.find((t) => t.name === `ESP Monitor (${port})`);
    assert.ok(terminal, `terminals: ${vscode.window.terminals.map((t) => t.name).join(', ')}`);
    await waitForMonitor(
      port,
      /--- Reset the chip into its app \(DTR\/RTS\)\.\nESP-ROM:esp32s3 \(virtual chip\)\nrst:0x1 \(POWERON_RESET\)/,
      15_000,
      'the chip to boot in the new monitor terminal',
    );
    await closeTerminal(terminal);
  });

  it('"ESP Flasher: Monitor" opens a terminal named after the port, resets the chip into its app and says which keys work', async () => {
    const port = 'virtual:esp32c3:resetlines';
    const api = await extensionApi();
    await vscode.commands.executeCommand('espFlasher.monitor', { port });
    const terminal = vscode.window.terminals.find((t) => t.name === `ESP Monitor (${port})`);
    assert.ok(terminal, `terminals: ${vscode.window.terminals.map((t) => t.name).join(', ')}`);
    await waitForMonitor(port, /invalid header: 0xffffffff/, 15_000, 'the boot log');
    const text = api.monitorText(port);
    assert.match(text, /--- Crash addresses will not be decoded: no ELF beside \S+\.bin \(looked for \S+\.elf\)\./);
    assert.doesNotMatch(text, /--elf/, 'no command-line flag in the editor');
    assert.match(text, /--- Ctrl-\] closes, Ctrl-T R resets the chip into its app, Ctrl-T P pauses the output\./);
    assert.match(text, /--- Monitoring virtual:esp32c3:resetlines at \S+ at 115200 baud\.\n--- Reset the chip into its app \(DTR\/RTS\)\.\nESP-ROM:esp32c3 \(virtual chip\)/);
    await closeTerminal(terminal);
  });

  it('"Flash and Monitor" is in the command palette, the Flash Plan title bar and the status bar; "Reset and Monitor" in the palette', async () => {
    const api = await extensionApi();
    const commands = await vscode.commands.getCommands(true);
    for (const c of ['espFlasher.flashAndMonitor', 'espFlasher.resetAndMonitor', 'espFlasher.monitor']) assert.ok(commands.includes(c), `${c} is not registered`);
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as {
      contributes: { commands: { command: string; title: string }[]; menus: Record<string, { command: string; when?: string }[]> };
    };
    const palette = pkg.contributes.menus.commandPalette ?? [];
    for (const c of ['espFlasher.flashAndMonitor', 'espFlasher.resetAndMonitor']) {
      assert.ok(
        pkg.contributes.commands.some((x) => x.command === c),
        `${c} is not contributed`,
      );
      assert.ok(!palette.some((p) => p.command === c && p.when === 'false'), `${c} is hidden from the palette`);
    }
    assert.ok(
      pkg.contributes.menus['view/title'].some((m) => m.command === 'espFlasher.flashAndMonitor' && m.when === 'view == espFlasher.plan'),
      'Flash and Monitor is not in the Flash Plan title bar',
    );
    assert.deepStrictEqual(api.statusBarMonitorItem(), { text: '$(debug-console) Flash & Monitor', command: 'espFlasher.flashAndMonitor' });
  });
});
