/** Erase/program on the virtual flash with the modelled time and the statistics kept in one place. */
import { BLOCK_SIZE, FlashMemory, planErase } from './flash_memory';
import { SimStats } from './sim_stats';
import { chipEraseMs, eraseMs, flashReadMs, FlashTimings, md5Ms, programMs, ramLoadMs } from './timing_model';

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

  /** Modelled milliseconds of SPI_FLASH_MD5 over `bytes` (flash read + software hash). */
  md5(bytes: number): number {
    const ms = md5Ms(bytes, this.timings);
    this.stats.md5Bytes += bytes;
    this.stats.md5Ms += ms;
    return ms;
  }

  /** Modelled milliseconds to read `bytes` of flash for the host. */
  read(bytes: number): number {
    const ms = flashReadMs(bytes, this.timings);
    this.stats.readMs += ms;
    return ms;
  }

  /** Modelled milliseconds of one MEM_DATA block. */
  ramLoad(bytes: number): number {
    const ms = ramLoadMs(bytes, this.timings);
    this.stats.ramLoadMs += ms;
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
