/**
 * Text the virtual chip prints on its UART outside the loader protocol: the ROM boot log of the
 * download mode (spec §3.2: hosts look for "boot:0x" and "waiting for download"); the boot log
 * of a normal boot and the app are in app_firmware.ts.
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
