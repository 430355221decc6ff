/** Chip detection (esp-serial-protocol.md §3.3): GET_SECURITY_INFO chip id, else the magic register. */
import { DeviceError } from '../errors';
import { CHIP_MAGIC_REG, CHIP_NAMES, chipByImageId, chipByMagic, chipFacts, type ChipFacts, type ChipName } from '../chips';
import { CommandFailedError, UnsupportedCommandError, isCancelled } from './loader_errors';
import type { LoaderSession } from './loader_session';
import type { SecurityInfo } from './security_info';

export interface Detection {
  chip: ChipFacts;
  /** GET_SECURITY_INFO result when the loader answered it. */
  security?: SecurityInfo;
  secureDownloadMode: boolean;
  /** How the chip was recognised ("chip id 5", "magic 0x00f01d83"). */
  how: string;
}

/**
 * Which chip is on the port. When the caller expects a chip whose ROM has no GET_SECURITY_INFO
 * (ESP8266, ESP32), its magic register is read first: asking the ROM an unknown command costs the
 * ~0.2 s drain of its repeated "invalid" replies on every connect (esptool, told the chip, does
 * not ask either). Any other answer falls back to the full detection below.
 */
export async function detectChip(session: LoaderSession, expected?: ChipName): Promise<Detection> {
  const hoped = expected ? chipFacts(expected) : undefined;
  if (hoped && hoped.securityInfo === 'none') {
    try {
      const magic = await session.readReg(CHIP_MAGIC_REG);
      if (chipByMagic(magic)?.name === hoped.name) return { chip: hoped, secureDownloadMode: false, how: `magic 0x${magic.toString(16).padStart(8, '0')}` };
    } catch (e) {
      if (isCancelled(e)) throw e;
      await session.conn.drain(50);
    }
  }
  let security: SecurityInfo | undefined;
  let securityError: Error | undefined;
  try {
    security = await session.getSecurityInfo();
  } catch (e) {
    if (isCancelled(e)) throw e;
    // ESP8266/ESP32 ROM and their stubs lack the command (a stub left running by an earlier
    // session answers with bare stub status bytes): fall through to the magic register.
    securityError = e as Error;
    if (!(e instanceof UnsupportedCommandError || e instanceof CommandFailedError)) await session.conn.drain(50);
  }
  if (security?.chipId !== undefined) {
    const chip = chipByImageId(security.chipId);
    if (!chip) {
      throw new DeviceError(
        `The chip reports chip id ${security.chipId}, which this flasher does not know. Supported: ${knownIds()}. Update the extension or set the chip explicitly.`,
      );
    }
    return { chip, security, secureDownloadMode: security.secureDownloadMode, how: `chip id ${security.chipId}` };
  }
  let magic: number;
  try {
    magic = await session.readReg(CHIP_MAGIC_REG);
  } catch (e) {
    if (e instanceof UnsupportedCommandError && security) {
      // READ_REG refused while GET_SECURITY_INFO worked with a short payload: ESP32-S2 in SDM (§3.3).
      return { chip: chipFacts('esp32s2'), security, secureDownloadMode: true, how: 'READ_REG refused (Secure Download Mode)' };
    }
    if (securityError && !isCancelled(e)) {
      throw new DeviceError(
        `Cannot tell which chip is on ${session.port}: GET_SECURITY_INFO failed (${securityError.message}) and so did READ_REG of the chip magic (${(e as Error).message}). Reset the chip into download mode and try again.`,
      );
    }
    throw e;
  }
  const chip = chipByMagic(magic);
  if (!chip) {
    throw new DeviceError(
      `Unknown chip: the magic value 0x${magic.toString(16).padStart(8, '0')} at 0x40001000 matches no chip this flasher knows. Check the chip type, or set the chip explicitly.`,
    );
  }
  return { chip, security, secureDownloadMode: security?.secureDownloadMode ?? false, how: `magic 0x${magic.toString(16).padStart(8, '0')}` };
}

function knownIds(): string {
  return CHIP_NAMES.map((n) => chipFacts(n))
    .filter((c) => c.imageChipId !== undefined)
    .map((c) => `${c.name} (${c.imageChipId})`)
    .join(', ');
}
