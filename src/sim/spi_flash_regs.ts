/**
 * The SPI flash controller's "user command" registers (spec §3.7), enough for the host's
 * flash-ID read: WRITE_REG USR/USR1/USR2/DLEN/W0, set bit 18 of CMD (base+0), READ_REG W0.
 * The command completes at once, so CMD bit 18 always reads back cleared.
 */
import { SpiFlashRegs } from '../core/chips';

export const SPI_CMD_USR_BIT = 1 << 18;
/** Winbond, as on most modules. */
export const FLASH_MANUFACTURER_ID = 0xef;
/** W25Q-series memory type byte. */
export const FLASH_MEMORY_TYPE = 0x40;

/** JEDEC size id byte: log2 of the size in bytes (0x16 = 4 MiB … 0x18 = 16 MiB). */
export function jedecSizeId(flashSize: number): number {
  const id = Math.log2(flashSize);
  if (!Number.isInteger(id)) throw new Error(`Flash size ${flashSize} is not a power of two; JEDEC size ids need one.`);
  return id;
}

export class SpiFlashRegisters {
  private readonly regs = new Map<number, number>();
  /** Opcodes executed through the user-command flow, oldest first. */
  readonly executed: number[] = [];

  constructor(
    private readonly spi: SpiFlashRegs,
    private readonly flashSize: number,
  ) {}

  owns(addr: number): boolean {
    const off = (addr >>> 0) - this.spi.base;
    return off >= 0 && off < 0x100;
  }

  read(addr: number): number {
    return this.regs.get(addr >>> 0) ?? 0;
  }

  write(addr: number, value: number): void {
    const a = addr >>> 0;
    if (a === this.spi.base && value & SPI_CMD_USR_BIT) {
      this.regs.set(a, (value & ~SPI_CMD_USR_BIT) >>> 0);
      this.execute();
      return;
    }
    this.regs.set(a, value >>> 0);
  }

  /** The flash's answer to the opcode in USR2 bits 7:0, placed in W0. */
  private execute(): void {
    const opcode = this.read(this.spi.base + this.spi.usr2) & 0xff;
    this.executed.push(opcode);
    const w0 = this.spi.base + this.spi.w0;
    switch (opcode) {
      case 0x9f: // RDID
        this.regs.set(w0, (FLASH_MANUFACTURER_ID | (FLASH_MEMORY_TYPE << 8) | (jedecSizeId(this.flashSize) << 16)) >>> 0);
        break;
      case 0x05: // RDSR: never busy
      case 0x35: // RDSR2
        this.regs.set(w0, 0);
        break;
      default: // resets (0x66/0x99), write enable and the like: no data phase modelled
        break;
    }
  }
}
