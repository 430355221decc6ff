/** Shared helpers for the monitor device tests: a bootable image set for the virtual chip. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chipFacts, type ChipName } from '../../src/core/chips';
import type { WriteSegment } from '../../src/core/flash/api';
import { writePartitionTable } from '../../src/core/formats/partition_binary';
import { makePartition, TYPE } from '../../src/core/formats/partition_table';
import type { MonitorOptions } from '../../src/core/monitor/monitor';
import { generatedImage, SHARED } from './flash_helpers';
import { appImageFromElf } from '../fixtures/crash_demo_build';

export { appImageFromElf };

/** The real Xtensa ELF with DWARF in ../shared (an ESP32 bootloader, used here as the app). */
export const REAL_ELF = path.join(SHARED, 'images', 'esp32-bootloader.elf');
export const realElfPresent = (): boolean => fs.existsSync(REAL_ELF);

export function partitionTable(): Uint8Array {
  return writePartitionTable([makePartition('nvs', TYPE.data, 0x02, 0x9000, 0x6000, 0), makePartition('factory', TYPE.app, 0x00, 0x10000, 0x100000, 0)]);
}

/** Bootloader, partition table and app; the app is built from `elf` when given, else generated. */
export function bootableSegments(chip: ChipName, opts: { elf?: string; seed?: string } = {}): WriteSegment[] {
  const f = chipFacts(chip);
  const app = opts.elf ? appImageFromElf(chip, opts.elf) : generatedImage(chip, 40_000, opts.seed ?? `${chip}-monitor-app`);
  return [
    { name: 'bootloader', offset: f.bootloaderOffset, bytes: generatedImage(chip, 8_000, `${chip}-monitor-boot`), encrypt: 'off' },
    { name: 'partition-table', offset: 0x8000, bytes: partitionTable(), encrypt: 'off' },
    { name: 'app', offset: 0x10000, bytes: app, encrypt: 'off' },
  ];
}

/** Collects what a monitor shows. */
export class Screen {
  text = '';
  readonly lines: { text: string; at: number }[] = [];
  readonly opts: Pick<MonitorOptions, 'write' | 'onLine'> = {
    write: (t) => {
      this.text += t;
    },
    onLine: (t, at) => this.lines.push({ text: t, at }),
  };
  /** Wait until `pred` holds on the text shown (deadline `ms`). */
  async waitFor(pred: (text: string) => boolean, what: string, ms = 10000): Promise<void> {
    const end = Date.now() + ms;
    while (!pred(this.text)) {
      if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}; the monitor showed:\n${this.text.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** Tick numbers of consecutive "app: tick N" lines from index `from`. */
export function ticks(lines: { text: string }[], from = 0): number[] {
  return lines.slice(from).flatMap((l) => {
    const m = /app: tick (\d+)$/.exec(l.text);
    return m ? [Number(m[1])] : [];
  });
}
