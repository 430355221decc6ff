/**
 * JEDEC flash ID (RDID 0x9F) through the SPI peripheral's "user command" registers, and the
 * flash size it implies (esp-serial-protocol.md §3.7). Register layout from the chip table.
 */
import { DeviceError } from '../errors';
import type { ChipFacts } from '../chips';
import type { LoaderSession } from './loader_session';

const USR_COMMAND = 1 << 31;
const USR_MISO = 1 << 28;
const CMD_USR = 1 << 18;
const RDID = 0x9f;

/** Run one SPI flash command that reads up to 32 bits; returns W0. */
export async function runSpiFlashCommand(session: LoaderSession, chip: ChipFacts, opcode: number, readBits: number): Promise<number> {
  const spi = chip.spi;
  const reg = (off: number) => spi.base + off;
  const oldUsr = await session.readReg(reg(spi.usr));
  const oldUsr2 = await session.readReg(reg(spi.usr2));
  try {
    if (spi.misoDlen !== undefined) {
      if (readBits > 0) await session.writeReg(reg(spi.misoDlen), readBits - 1);
    } else {
      // ESP8266: both lengths live in USR1.
      await session.writeReg(reg(spi.usr1), (readBits > 0 ? readBits - 1 : 0) << 8);
    }
    await session.writeReg(reg(spi.usr), USR_COMMAND | (readBits > 0 ? USR_MISO : 0));
    await session.writeReg(reg(spi.usr2), (7 << 28) | opcode);
    await session.writeReg(reg(spi.w0), 0);
    await session.writeReg(reg(0), CMD_USR);
    let done = false;
    for (let i = 0; i < 10 && !done; i++) done = ((await session.readReg(reg(0))) & CMD_USR) === 0;
    if (!done) throw new DeviceError(`SPI flash command 0x${opcode.toString(16)} did not complete; the flash chip does not answer (check flash wiring/power or SPI pins).`);
    return await session.readReg(reg(spi.w0));
  } finally {
    await session.writeReg(reg(spi.usr), oldUsr);
    await session.writeReg(reg(spi.usr2), oldUsr2);
  }
}

/** 24-bit JEDEC ID: manufacturer in bits 7:0, size id in bits 23:16. */
export async function readFlashId(session: LoaderSession, chip: ChipFacts): Promise<number> {
  return (await runSpiFlashCommand(session, chip, RDID, 24)) & 0xffffff;
}

/** Flash size in bytes implied by a JEDEC ID, or undefined when unknown (§3.7). */
export function flashSizeFromId(id: number): number | undefined {
  const manufacturer = id & 0xff;
  const sizeId = (id >>> 16) & 0xff;
  if (manufacturer === 0x1f) {
    const a = (id >>> 8) & 0x1f;
    return a >= 0x04 && a <= 0x09 ? (512 * 1024) << (a - 0x04) : undefined;
  }
  if (sizeId >= 0x12 && sizeId <= 0x1c) return 1 << (sizeId - 0x12 + 18);
  if (sizeId >= 0x20 && sizeId <= 0x22) return (64 * 1024 * 1024) << (sizeId - 0x20);
  if (sizeId >= 0x32 && sizeId <= 0x3a) return 1 << (sizeId - 0x32 + 18);
  return undefined;
}
