/**
 * Flash All (issue 14) in the real VS Code: several ports checked in the multi-select picker,
 * every device flashed at once through the core's production line, a row per device in the
 * Device view with its result and why; per-device keys, a missing key and an unplugged chip
 * each on their own row; the report file; one Cancel stops every device and frees every port.
 */
import * as assert from 'assert';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { DeviceRecord } from '../../../src/core/line/device_record';
import type { PtyChip } from '../../../src/sim/pty_chip';
import type { LineRow } from '../../../src/ui/line_rows';
import { expectedSegments, hex8 } from '../support/build_expectations';
import { descendantProcesses } from '../support/child_processes';
import { extensionApi } from '../support/extension_api';
import { holdChip } from '../support/held_chip';
import { waitFor } from '../support/wait_for';

const MiB = 1024 * 1024;
const macOf = (n: number): Uint8Array => Uint8Array.from([0x24, 0x0a, 0xc4, 0x10, 0x00, n]);
const macText = (n: number): string => `24:0a:c4:10:00:${n.toString(16).padStart(2, '0')}`;
const keyName = (n: number): string => `240ac41000${n.toString(16).padStart(2, '0')}.bin`;
const keyOf = (n: number): Uint8Array => new Uint8Array(createHash('sha256').update(`flash-all-key-${n}`).digest());

function rowOf(rows: LineRow[], port: string): LineRow {
  const r = rows.find((x) => x.port === port);
  assert.ok(r, `no Device view row for ${port}: ${rows.map((x) => x.port).join(', ')}`);
  return r;
}

async function setting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('espFlasher').update(key, value, vscode.ConfigurationTarget.Workspace);
}

describe('Flash All: several devices at once, a row per device', function () {
  this.timeout(120_000);

  it('the picker checks several ports (virtual chips listed directly, typed paths added); each device gets its own verdict', async () => {
    const api = await extensionApi();
    await api.refresh();
    const before = api.dialogs().length;
    const ok = 'virtual:esp32s3:flash=8MB';
    const encrypted = 'virtual:esp32s3:encryption=development:flash=8MB';
    const c3 = 'virtual:esp32c3';
    // Check two virtual chips the picker lists, and "Enter port paths…" to type a third.
    api.answerDialogs([encrypted.replace(':flash=8MB', ''), c3, '__enter__'], `${ok}, ${encrypted}`);
    const records = (await vscode.commands.executeCommand('espFlasher.flashAll')) as DeviceRecord[] | undefined;
    const pick = api
      .dialogs()
      .slice(before)
      .find((d) => d.kind === 'quickPick');
    assert.ok(pick, 'no quick pick');
    assert.match(pick.message, /Flash All/);
    assert.ok(pick.items.filter((i) => i.startsWith('virtual:')).length >= 3, `virtual chips are not listed directly: ${pick.items.join(', ')}`);
    assert.ok(records, `Flash All returned nothing:\n${api.outputLines().slice(-20).join('\n')}`);
    const ports = ['virtual:esp32s3:encryption=development', c3, ok, encrypted];
    assert.deepStrictEqual(
      records.map((r) => r.port),
      ports,
    );

    const rows = api.lineRows;
    const log = `${api.lineHeadline}\n${rows.map((r) => `${r.port}: ${r.state} · ${r.description}`).join('\n')}\n${api.outputLines().slice(-30).join('\n')}`;
    assert.deepStrictEqual(
      rows.map((r) => r.port),
      ports,
      log,
    );
    for (const r of rows) console.log(`      ${r.port}: ${r.description}`);
    const good = rowOf(rows, ok);
    assert.strictEqual(good.state, 'ok', log);
    assert.match(good.description, /^ok · \d+\.\d s/, log);
    assert.strictEqual(good.percent, 100);
    // A plain flash onto encrypted flash is refused on that device's row (nothing written), as for a single Flash.
    for (const port of [encrypted, 'virtual:esp32s3:encryption=development']) {
      const r = rowOf(rows, port);
      assert.strictEqual(r.state, 'refused', log);
      assert.ok(r.reason && r.reason.length > 20, log);
      assert.match(r.description, /^refused · /, log);
    }
    const wrongChip = rowOf(rows, c3);
    assert.strictEqual(wrongChip.state, 'refused', log);
    assert.match(wrongChip.reason ?? '', /This device is ESP32-C3 .* but the line flashes ESP32-S3/, log);
    assert.match(wrongChip.description, /^refused · This device is ESP32-C3 /, log);
    assert.ok(
      wrongChip.details.some((d) => d.label === 'What to do' && /line for its chip/.test(d.value)),
      log,
    );
    assert.strictEqual(api.lineHeadline, `Flash All: 1 of 4 devices flashed, 3 not in ${api.flashState.seconds?.toFixed(1)} s.`, log);
    assert.strictEqual(api.flashState.phase, 'failed');
    const said = api.dialogs().find((d) => !d.modal && d.message.startsWith(api.lineHeadline ?? '?'));
    assert.ok(said, 'no closing notification');
    assert.match(
      said.message,
      / virtual:esp32s3:encryption=development: Refusing to write segment "bootloader"/,
      'the notification does not name the first device in its row’s words',
    );
    assert.deepStrictEqual(
      api.dialogs().filter((d) => d.modal && !d.queued),
      [],
      'a per-device refusal must not become a global modal error',
    );
    assert.ok(
      api.outputLines().some((l) => l.startsWith(`[${c3}] `)),
      'no output lines prefixed by the port',
    );
    await waitFor(() => descendantProcesses('socat').length === 0, 5000, "the virtual ports' socat processes to exit");

    // Plaintext onto encrypted flash may be overridden (as a single flash's Override…); the wrong chip may not.
    const refusedEncrypted = rowOf(rows, encrypted);
    assert.strictEqual(refusedEncrypted.overridable, true, log);
    assert.notStrictEqual(wrongChip.overridable, true, log);
    const dialogsBefore = api.dialogs().length;
    api.answerDialogs('Write Anyway (I accept the risk)');
    const forced = (await vscode.commands.executeCommand('espFlasher.flashAllOverride', { kind: 'line', row: refusedEncrypted })) as DeviceRecord[] | undefined;
    const confirm = api
      .dialogs()
      .slice(dialogsBefore)
      .find((d) => d.modal);
    assert.ok(confirm, 'no confirmation before overriding');
    assert.strictEqual(confirm.message, `Override the safety check and run "Flash All" on ${encrypted} anyway?`);
    assert.deepStrictEqual(
      forced?.map((r) => [r.port, r.outcome]),
      [[encrypted, 'ok']],
      `${api.lineHeadline}\n${api.outputLines().slice(-15).join('\n')}`,
    );
    assert.deepStrictEqual(
      api.lineRows.map((r) => [r.port, r.state]),
      [[encrypted, 'ok']],
    );
    await waitFor(() => descendantProcesses('socat').length === 0, 5000, "the virtual port's socat process to exit");
  });

  it('bad input is said before anything is flashed: the same port twice, a report file that cannot be written', async () => {
    const api = await extensionApi();
    const runBefore = api.lineHeadline;
    const modals = (): string[] =>
      api
        .dialogs()
        .filter((d) => d.modal)
        .map((d) => `${d.message}\n${d.detail ?? ''}`);
    let before = modals().length;
    api.answerDialogs(undefined);
    const twice = await vscode.commands.executeCommand('espFlasher.flashAll', { ports: ['virtual:esp32c3', 'virtual:esp32c3'] });
    assert.strictEqual(twice, undefined);
    assert.match(modals().slice(before).join('\n'), /^Flash All: nothing was written\.\nvirtual:esp32c3 is given twice/);

    const report = path.join(os.tmpdir(), 'no-such-folder-esp-flash-all', 'line.jsonl');
    await setting('line.reportFile', report);
    try {
      before = modals().length;
      api.answerDialogs(undefined);
      const unwritable = await vscode.commands.executeCommand('espFlasher.flashAll', { ports: ['virtual:esp32s3:flash=8MB'] });
      assert.strictEqual(unwritable, undefined);
      const said = modals().slice(before).join('\n');
      assert.match(said, /^Flash All: the report file cannot be used; nothing was written\./, said);
      assert.ok(said.includes(`Cannot write the report ${report}: its folder does not exist.`), said);
      assert.match(said, /"ESP Flasher › Line: Report File"/, said);
    } finally {
      await setting('line.reportFile', undefined);
    }
    assert.strictEqual(api.lineHeadline, runBefore, 'a Flash All started although its input was bad');
  });

  describe('on chips the test holds: Flash All (Encrypted), host mode, per-device keys, a report', () => {
    const chips: PtyChip[] = [];
    let dir = '';
    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esp-flash-all-'));
      fs.mkdirSync(path.join(dir, 'keys'));
      for (const n of [1, 2, 4]) fs.writeFileSync(path.join(dir, 'keys', keyName(n)), keyOf(n)); // none for chip 3
      for (const n of [1, 2, 3, 4]) chips.push(await holdChip({ chip: 'esp32s3', encryption: 'development', flashSize: 8 * MiB, key: keyOf(n), mac: macOf(n) }));
      await setting('encryption.mode', 'host');
      await setting('encryption.keyFolder', path.join(dir, 'keys'));
      await setting('line.reportFile', path.join(dir, 'report.jsonl'));
    });
    after(async () => {
      await setting('encryption.mode', undefined);
      await setting('encryption.keyFolder', undefined);
      await setting('line.reportFile', undefined);
      await Promise.all(chips.map((c) => c.close()));
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('flashes the chips with keys, refuses the one without on its row, records the unplugged one as failed', async () => {
      const api = await extensionApi();
      const [a, b, noKey, unplugged] = chips;
      unplugged.chip.faults.disconnectAtByte(60_000, 'in');
      const ports = chips.map((c) => c.path);
      const records = (await vscode.commands.executeCommand('espFlasher.flashAllEncrypted', { ports })) as DeviceRecord[] | undefined;
      const rows = api.lineRows;
      const log = `${api.lineHeadline}\n${rows.map((r) => `${r.port}: ${r.state} · ${r.description}`).join('\n')}\n${api.outputLines().slice(-40).join('\n')}`;
      assert.ok(records && records.length === 4, log);
      for (const r of rows) console.log(`      ${r.port}: ${r.description}`);

      for (const [c, n] of [
        [a, 1],
        [b, 2],
      ] as const) {
        const r = rowOf(rows, c.path);
        assert.strictEqual(r.state, 'ok', log);
        assert.ok(
          r.details.some((d) => d.label === 'MAC' && d.value === macText(n)),
          log,
        );
        for (const s of expectedSegments()) {
          const image = new Uint8Array(fs.readFileSync(s.file));
          const got = s.encrypt ? c.chip.decryptFlash(s.offset, image.length) : c.chip.readFlash(s.offset, image.length);
          assert.ok(
            Buffer.from(got).equals(Buffer.from(image)),
            `${c.path} ${s.name} at ${hex8(s.offset)}: flash differs from ${s.file}${s.encrypt ? ' (decrypted with its own key)' : ''}`,
          );
          if (s.encrypt) assert.ok(!Buffer.from(c.chip.readFlash(s.offset, image.length)).equals(Buffer.from(image)), `${s.name}: plaintext on flash, expected ciphertext`);
        }
      }

      const refused = rowOf(rows, noKey.path);
      assert.strictEqual(refused.state, 'refused', log);
      assert.match(refused.description, new RegExp(`^refused · No key for device ${macText(3)} `), log);
      assert.match(refused.reason ?? '', new RegExp(`No key for device ${macText(3)} .*${keyName(3).replace('.', '\\.')}`), log);
      for (const s of expectedSegments())
        assert.ok(
          noKey.chip.readFlash(s.offset, 4096).every((x) => x === 0xff),
          `the chip without a key was written to (${s.name})`,
        );

      const gone = rowOf(rows, unplugged.path);
      assert.strictEqual(gone.state, 'failed', log);
      assert.match(gone.reason ?? '', /went away|unplugged|closed/i, log);
      assert.match(gone.description, /^FAILED · /);

      // The report: one record per device, what happened to each.
      const report = fs
        .readFileSync(path.join(dir, 'report.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as DeviceRecord);
      assert.strictEqual(report.length, 4);
      const outcome = (c: PtyChip): string | undefined => report.find((r) => r.port === c.path)?.outcome;
      assert.deepStrictEqual([a, b, noKey, unplugged].map(outcome), ['ok', 'ok', 'refused', 'failed']);
      assert.strictEqual(report.find((r) => r.port === a.path)?.mac, macText(1));
      assert.strictEqual(api.flashState.phase, 'failed');
      assert.match(api.lineHeadline ?? '', /^Flash All \(Encrypted\): 2 of 4 devices flashed, 2 not in \d+\.\d s\.$/);

      // Retry Failed (as --retry-failed): only the devices not flashed, the same kind; the key is there now.
      fs.writeFileSync(path.join(dir, 'keys', keyName(3)), keyOf(3));
      const contacted = [a, b].map((c) => c.chip.stats.bytesIn);
      const retried = (await vscode.commands.executeCommand('espFlasher.flashAllRetryFailed')) as DeviceRecord[] | undefined;
      const again = api.lineRows;
      const log2 = `${api.lineHeadline}\n${again.map((r) => `${r.port}: ${r.state} · ${r.description}`).join('\n')}`;
      assert.deepStrictEqual(
        retried?.map((r) => r.port),
        [noKey.path, unplugged.path],
        log2,
      );
      assert.strictEqual(rowOf(again, noKey.path).state, 'ok', log2);
      assert.strictEqual(rowOf(again, unplugged.path).state, 'failed', log2);
      assert.deepStrictEqual(
        [a, b].map((c) => c.chip.stats.bytesIn),
        contacted,
        'a device that had been flashed was contacted again',
      );
      for (const s of expectedSegments().filter((x) => x.encrypt)) {
        const image = new Uint8Array(fs.readFileSync(s.file));
        assert.ok(Buffer.from(noKey.chip.decryptFlash(s.offset, image.length)).equals(Buffer.from(image)), `${s.name}: the retried chip does not hold the build`);
      }
      assert.strictEqual(fs.readFileSync(path.join(dir, 'report.jsonl'), 'utf8').trim().split('\n').length, 6, 'the retry appends its two records');
    });
  });

  it('one Cancel stops every device and releases every port', async () => {
    const api = await extensionApi();
    // "timing" paces each virtual chip like a real UART and flash, so the run lasts long enough to cancel.
    const ports = [1, 2, 3].map((n) => `virtual:esp32s3:encryption=development:flash=8MB:timing:mac=24-0a-c4-20-00-0${n}`);
    const running = Promise.resolve(vscode.commands.executeCommand('espFlasher.flashAllEncrypted', { ports })) as Promise<DeviceRecord[] | undefined>;
    try {
      await waitFor(() => api.lineRows.length === 3 && api.lineRows.every((r) => r.state === 'running' && r.percent >= 2), 60_000, 'every device to pass 2 %');
      assert.strictEqual(await vscode.commands.executeCommand('espFlasher.cancel'), true, 'espFlasher.cancel found no running job');
      const records = await Promise.race([
        running,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('Flash All did not stop within 10 s of cancelling')), 10_000)),
      ]);
      assert.ok(records);
      assert.deepStrictEqual(
        records.map((r) => r.outcome),
        ['cancelled', 'cancelled', 'cancelled'],
      );
      assert.deepStrictEqual(
        api.lineRows.map((r) => r.state),
        ['cancelled', 'cancelled', 'cancelled'],
      );
      assert.strictEqual(api.flashState.phase, 'cancelled');
      assert.match(api.lineHeadline ?? '', /^Flash All \(Encrypted\) \(cancelled\): 0 of 3 devices flashed, 3 not/);
      await waitFor(() => descendantProcesses('socat').length === 0, 5000, "the virtual ports' socat processes to exit");
      // Every port is free: the next job on it runs.
      await vscode.commands.executeCommand('espFlasher.readDeviceInfo', { port: ports[2] });
      assert.strictEqual(api.deviceInfo?.mac, '24:0a:c4:20:00:03');
    } finally {
      await vscode.commands.executeCommand('espFlasher.cancel');
      await Promise.race([running.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 10_000))]);
    }
  });
});
