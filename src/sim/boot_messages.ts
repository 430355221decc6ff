/**
 * Text the virtual chip prints on its UART outside the loader protocol: the ROM boot log
 * (spec §3.2: hosts look for "boot:0x" and "waiting for download") and a one-line stand-in
 * for the firmware that runs after a normal boot.
 */
import { ChipFacts } from '../core/chips';

export type ResetReason = 'power-on' | 'software';

function rstLine(reason: ResetReason, boot: string): string {
  const rst = reason === 'power-on' ? 'rst:0x1 (POWERON_RESET)' : 'rst:0xc (SW_CPU_RESET)';
  return `${rst},${boot}\r\n`;
}

function banner(chip: ChipFacts): string {
  return `ESP-ROM:${chip.name} (virtual chip)\r\n\r\n`;
}

/** Boot log when IO0 is low at reset: the ROM enters the serial download mode. */
export function downloadBootLog(chip: ChipFacts, reason: ResetReason = 'power-on'): string {
  return banner(chip) + rstLine(reason, 'boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))') + 'waiting for download\r\n';
}

/**
 * Boot log of a normal (SPI flash) boot followed by what the simulated firmware prints:
 * `imageStart` is the first 16 bytes at the bootloader offset as the chip's flash cache sees
 * them (decrypted when flash encryption is enabled).
 */
export function normalBootLog(chip: ChipFacts, imageStart: Uint8Array, reason: ResetReason = 'power-on'): string {
  return banner(chip) + rstLine(reason, 'boot:0x13 (SPI_FAST_FLASH_BOOT)') + firmwareLog(chip, imageStart);
}

/** What the "firmware" prints when the boot chain reads its image (also after RUN_USER_CODE). */
export function firmwareLog(chip: ChipFacts, imageStart: Uint8Array): string {
  let text = '';
  const word = (imageStart[0] | (imageStart[1] << 8) | (imageStart[2] << 16) | (imageStart[3] << 24)) >>> 0;
  if (imageStart[0] === 0xe9) {
    const entry = (imageStart[4] | (imageStart[5] << 8) | (imageStart[6] << 16) | (imageStart[7] << 24)) >>> 0;
    text += `load: image at 0x${chip.bootloaderOffset.toString(16)}, entry 0x${entry.toString(16).padStart(8, '0')}\r\n`;
    text += 'I (0) virtual-chip: firmware running\r\n';
  } else {
    text += `invalid header: 0x${word.toString(16).padStart(8, '0')}\r\n`;
  }
  return text;
}

/** The DTR/RTS auto-reset circuit of dev boards (spec §3.1): RTS drives EN, DTR drives IO0. */
export class ResetLines {
  dtr = false;
  rts = false;
  /**
   * USB-Serial/JTAG peripheral instead of the two-transistor circuit: it resets the chip at the
   * same line state, but boots into download mode when the lines passed through DTR=RTS=1 just
   * before the reset (the sequence esptool's usb-reset sends), into the app otherwise.
   */
  usbJtag = false;
  private latchedDownload = false;

  /** EN high (chip running) unless RTS is asserted while DTR is not. */
  get enHigh(): boolean {
    return !(this.rts && !this.dtr);
  }

  /** IO0 pulled low when DTR is asserted while RTS is not. */
  get io0Low(): boolean {
    return this.usbJtag ? this.latchedDownload : this.dtr && !this.rts;
  }

  /**
   * Apply a line change. Returns 'reset' when EN went low, 'boot' when EN went high (the chip
   * samples IO0 at that moment), undefined otherwise.
   */
  set(signals: { dtr?: boolean; rts?: boolean }): 'reset' | 'boot' | undefined {
    const wasHigh = this.enHigh;
    const before = { dtr: this.dtr, rts: this.rts };
    if (signals.dtr !== undefined) this.dtr = signals.dtr;
    if (signals.rts !== undefined) this.rts = signals.rts;
    if (wasHigh && !this.enHigh) {
      this.latchedDownload = before.dtr && before.rts;
      return 'reset';
    }
    if (!wasHigh && this.enHigh) return 'boot';
    return undefined;
  }
}
