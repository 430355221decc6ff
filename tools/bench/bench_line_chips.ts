/**
 * The production-line bench's chips, in their own process so the flasher's CPU figures are
 * its own: N virtual chips with the timing model, each behind a pseudo-terminal.
 *
 *   node --import tsx tools/bench/bench_line_chips.ts <count> <chip> <stub legacy|current>
 *
 * Prints one JSON line {"paths": [...]} when they are up; on each "cpu" line read from stdin
 * prints {"cpuMicros": n} (this process's user+system CPU since start); closes every chip and
 * exits when stdin ends.
 */
import * as readline from 'node:readline';
import type { ChipName } from '../../src/core/chips';
import { startPtyChip, type PtyChip } from '../../src/sim/pty_chip';

async function main(): Promise<void> {
  const [countText, chip, stub] = process.argv.slice(2);
  const count = Number(countText);
  const chips: PtyChip[] = [];
  const closeAll = async (): Promise<void> => {
    await Promise.all(chips.map((c) => c.close().catch(() => undefined)));
  };
  try {
    for (let i = 0; i < count; i++) {
      chips.push(
        await startPtyChip({
          chip: chip as ChipName,
          timing: true,
          stub: stub === 'current' ? 'current' : 'legacy',
          flashSize: 4 * 1024 * 1024,
          mac: Uint8Array.from([0x24, 0x0a, 0xc4, 0xbe, 0x00, i]),
        }),
      );
    }
  } catch (e) {
    await closeAll();
    process.stdout.write(JSON.stringify({ error: (e as Error).message }) + '\n');
    process.exit(1);
  }
  process.stdout.write(JSON.stringify({ paths: chips.map((c) => c.path) }) + '\n');
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    if (line.trim() === 'cpu') {
      const u = process.cpuUsage();
      process.stdout.write(JSON.stringify({ cpuMicros: u.user + u.system }) + '\n');
    }
  });
  rl.on('close', () => {
    void closeAll().then(() => process.exit(0));
  });
}

void main();
