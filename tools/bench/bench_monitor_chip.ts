/**
 * The monitor bench's chip, in its own process, so the monitor's latency is not measured inside
 * the chip's event loop: a virtual ESP32-C3 with the UART timing model at the given console baud,
 * booted into the sample build's app, behind a pseudo-terminal.
 *
 *   node --import tsx tools/bench/bench_monitor_chip.ts <baud> <line length>
 *
 * Prints {"path": "/dev/…"} when the pty is up. Reads commands from stdin, one per line:
 *   boot         reset the chip into its app (the boot log goes out at the console baud)
 *   flood <ms>   the app prints numbered lines back to back for ms; prints {"lines": n, "bytes": n,
 *                "released": [t…]} with, per line, when this process handed it to the pty (epoch ms)
 * Closes the chip and exits when stdin ends.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { readProject } from '../../src/core/project/read_project';
import { startPtyChip } from '../../src/sim/pty_chip';
import { writeSampleIdfBuildDetailed } from '../../test/fixtures/sample_build';

async function main(): Promise<void> {
  const baud = Number(process.argv[2] ?? 2_000_000);
  const lineLength = Number(process.argv[3] ?? 64);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-monitor-chip-'));
  const build = await writeSampleIdfBuildDetailed(path.join(dir, 'project'), { chip: 'esp32c3' });
  const plan = (await readProject(build.buildDir)).plan;
  // Reset lines modelled in this process: the chip starts in its (empty) firmware; "boot" pulses EN.
  const pty = await startPtyChip({ chip: 'esp32c3', resetLines: true, timing: true, appBaud: baud });
  for (const s of plan.segments) pty.chip.preloadFlash(s.offset, s.bytes);
  const say = (o: unknown): void => void process.stdout.write(JSON.stringify(o) + '\n');
  say({ path: pty.path });
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    const [cmd, arg] = line.trim().split(/\s+/);
    if (cmd === 'boot') {
      pty.chip.setSignals({ dtr: false, rts: true }, pty.path);
      pty.chip.setSignals({ dtr: false, rts: false }, pty.path);
      say({ booted: true });
    } else if (cmd === 'flood') {
      const released: number[] = [];
      pty.chip.onTransmit = (bytes) => {
        if (bytes[0] === 0x46 && bytes[1] === 0x20) released.push(Math.round((performance.timeOrigin + performance.now()) * 1000) / 1000);
      };
      const sent = await pty.chip.flood(Number(arg), lineLength);
      // The last lines are still on the modelled wire for a moment.
      const until = Date.now() + 2000;
      while (released.length < sent.lines && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      pty.chip.onTransmit = undefined;
      say({ ...sent, released });
    }
  }
  await pty.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((e: Error) => {
  process.stdout.write(JSON.stringify({ error: e.message }) + '\n');
  process.exit(1);
});
