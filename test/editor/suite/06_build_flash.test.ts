import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { FlashResult } from '../../../src/core/flash/api';
import type { PtyChip } from '../../../src/sim/pty_chip';
import { expectedSegments, workspaceBuildDir } from '../support/build_expectations';
import { extensionApi } from '../support/extension_api';
import { holdChip } from '../support/held_chip';
import { waitFor } from '../support/wait_for';

// The runner puts a fake idf.py first on PATH (scripts/editor-tests/lib/fake_build_tool.mjs): it stamps the first
// plain image of the build and records how it was called in build/.fake-idf.json.
describe('Build and Flash: the build runs as a task, the plan is read again, then flashed', function () {
  this.timeout(120_000);
  let held: PtyChip | undefined;
  before(async () => {
    held = await holdChip({ chip: 'esp32s3', encryption: 'development', flashSize: 8 * 1024 * 1024 });
  });
  after(async () => {
    await held?.close();
  });

  it('runs idf.py build in the terminal and flashes what it built', async function () {
    await extensionApi(); // activates the extension
    const buildDir = workspaceBuildDir();
    const plain = expectedSegments().find((s) => !s.encrypt);
    if (!plain) this.skip(); // the generated sample build has no plain image to stamp
    const project = path.dirname(buildDir);
    fs.rmSync(path.join(buildDir, '.fake-idf.json'), { force: true });
    const started: string[] = [];
    const sub = vscode.tasks.onDidStartTask((e) => started.push(`${e.execution.task.definition.type}:${e.execution.task.name}`));
    let result: FlashResult | undefined;
    try {
      result = (await vscode.commands.executeCommand('espFlasher.buildAndFlashEncrypted', { port: held!.path })) as FlashResult | undefined;
    } finally {
      sub.dispose();
    }
    assert.ok(started.includes('esp-flasher-build:idf.py build'), `no "idf.py build" task started: ${started.join(', ')}`);
    const ran = JSON.parse(fs.readFileSync(path.join(buildDir, '.fake-idf.json'), 'utf8')) as { args: string[]; cwd: string; stamp: string; file: string };
    assert.deepStrictEqual(ran.args, ['build']);
    assert.strictEqual(fs.realpathSync(ran.cwd), fs.realpathSync(project));
    assert.ok(result?.ok, `the flash after the build failed: ${result?.error}`);
    const image = fs.readFileSync(plain!.file);
    assert.strictEqual(image.subarray(0, ran.stamp.length).toString(), ran.stamp, 'the build did not stamp the image');
    const flashed = Buffer.from(held!.chip.readFlash(plain!.offset, image.length));
    assert.ok(flashed.equals(image), `${plain!.name} on the chip is not what the build wrote: the plan was not read again`);
  });

  it('does not flash when the build fails, and says so', async () => {
    const api = await extensionApi();
    const project = path.dirname(workspaceBuildDir());
    const marker = path.join(project, '.fake-idf-fail');
    fs.writeFileSync(marker, '');
    const jobsBefore = api.outputLines().filter((l) => / → /.test(l)).length;
    const before = api.dialogs().length;
    try {
      const result = await vscode.commands.executeCommand('espFlasher.buildAndFlash', { port: held!.path });
      assert.strictEqual(result, undefined);
    } finally {
      fs.rmSync(marker, { force: true });
    }
    assert.ok(
      api
        .dialogs()
        .slice(before)
        .some((d) => /"idf\.py build" failed \(it exited with code 3\); nothing was flashed/.test(d.message)),
      JSON.stringify(api.dialogs().slice(before)),
    );
    assert.strictEqual(api.outputLines().filter((l) => / → /.test(l)).length, jobsBefore, 'a flash started after a failed build');
  });
  it('Build, Flash and Monitor: builds, opens the monitor, flashes through its port, and the monitor resumes', async () => {
    const api = await extensionApi();
    // A plain chip (Build, Flash and Monitor writes plain); the monitor holds the spec and lends it to the flash.
    const port = 'virtual:esp32s3:resetlines:flash=8MB';
    const before = api.outputLines().length;
    const started: string[] = [];
    const sub = vscode.tasks.onDidStartTask((e) => started.push(`${e.execution.task.definition.type}:${e.execution.task.name}`));
    let result: FlashResult | undefined;
    try {
      result = (await vscode.commands.executeCommand('espFlasher.buildFlashAndMonitor', { port })) as FlashResult | undefined;
    } finally {
      sub.dispose();
    }
    const lines = (): string[] => api.outputLines().slice(before);
    assert.ok(started.includes('esp-flasher-build:idf.py build'), `no "idf.py build" task started: ${started.join(', ')}`);
    assert.strictEqual(result?.ok, true, lines().join('\n'));
    const terminal = vscode.window.terminals.find((t) => t.name === `ESP Monitor (${port})`);
    assert.ok(terminal, `terminals: ${vscode.window.terminals.map((t) => t.name).join(', ')}`);
    await waitFor(() => lines().some((l) => /Monitor on .*: running\.$/.test(l)), 10_000, 'the monitor to resume after the flash');
    assert.match(lines().join('\n'), /Monitor on .*: paused, a job is using the port\.[\s\S]*Monitor on .*: running\./);
    terminal.sendText('\x1d', false); // Ctrl-]
    await waitFor(() => !vscode.window.terminals.includes(terminal), 10_000, 'the monitor terminal to close');
  });
});
