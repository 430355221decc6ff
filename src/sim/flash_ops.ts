/** Erase/program on the virtual flash with the modelled time and the statistics kept in one place. */
import { BLOCK_SIZE, FlashMemory, planErase } from './flash_memory';
import { SimStats } from './sim_stats';
import { chipEraseMs, eraseMs, FlashTimings, programMs } from './timing_model';

export class FlashOps {
  constructor(
    readonly flash: FlashMemory,
    private readonly stats: SimStats,
    private readonly timings: FlashTimings,
  ) {}

  /** Erase the sector-aligned range [start, end); returns the modelled milliseconds. */
  erase(start: number, end: number): number {
    const steps = planErase(start, end);
    for (const s of steps) {
      this.flash.erase(s.offset, s.length);
      if (s.length === BLOCK_SIZE) this.stats.blocksErased++;
      else this.stats.sectorsErased++;
    }
    const ms = eraseMs(steps, this.timings);
    this.stats.eraseMs += ms;
    return ms;
  }

  program(offset: number, data: Uint8Array): number {
    const pages = this.flash.program(offset, data);
    this.stats.pagesProgrammed += pages;
    this.stats.bytesWritten += data.length;
    const ms = programMs(pages, this.timings);
    this.stats.programMs += ms;
    return ms;
  }

  chipErase(): number {
    this.flash.erase(0, this.flash.size);
    this.stats.chipErases++;
    const ms = chipEraseMs(this.flash.size, this.timings);
    this.stats.eraseMs += ms;
    return ms;
  }
}
