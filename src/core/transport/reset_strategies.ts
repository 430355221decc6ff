/**
 * Reset sequences on DTR/RTS (esp-serial-protocol.md §3.1). Dev boards wire RTS to EN and DTR to
 * IO0 through two transistors, so "both asserted" leaves the chip alone.
 */
import type { Transport } from './transport';
import type { BeforeReset } from '../flash/api';

export interface ResetStrategy {
  /** Shown in "connecting" events ("tight 50 ms", "classic 550 ms", "usb-jtag", "no-reset"). */
  readonly name: string;
  /** Whether the strategy touches the control lines at all. */
  readonly usesLines: boolean;
  run(t: Transport, sleep: (ms: number) => Promise<void>): Promise<void>;
}

export const RESET_DELAY_MS = 50;
export const EXTRA_DELAY_MS = 550;

export function classicReset(delayMs: number): ResetStrategy {
  return {
    name: `classic ${delayMs} ms`,
    usesLines: true,
    async run(t, sleep) {
      await t.setSignals({ dtr: false, rts: true }); // IO0 high, EN low: in reset
      await sleep(100);
      await t.setSignals({ dtr: true, rts: false }); // IO0 low, EN high: boots into download mode
      await sleep(delayMs);
      await t.setSignals({ dtr: false }); // release IO0
    },
  };
}

/** Unix "tight" variant: both lines in one request per step. */
export function tightReset(delayMs: number): ResetStrategy {
  return {
    name: `tight ${delayMs} ms`,
    usesLines: true,
    async run(t, sleep) {
      await t.setSignals({ dtr: false, rts: false });
      await t.setSignals({ dtr: true, rts: true });
      await t.setSignals({ dtr: false, rts: true }); // in reset
      await sleep(100);
      await t.setSignals({ dtr: true, rts: false }); // out of reset, IO0 low
      await sleep(delayMs);
      await t.setSignals({ dtr: false, rts: false });
      await t.setSignals({ dtr: false });
    },
  };
}

/** USB-Serial/JTAG peripheral (VID 0x303A PID 0x1001): goes through (1,1) instead of (0,0). */
export function usbJtagReset(): ResetStrategy {
  return {
    name: 'usb-jtag',
    usesLines: true,
    async run(t, sleep) {
      await t.setSignals({ dtr: false, rts: false });
      await sleep(100);
      await t.setSignals({ dtr: true, rts: false });
      await sleep(100);
      await t.setSignals({ rts: true });
      await t.setSignals({ dtr: false });
      await t.setSignals({ rts: true });
      await sleep(100);
      await t.setSignals({ dtr: false, rts: false });
    },
  };
}

export const NO_RESET: ResetStrategy = { name: 'no-reset', usesLines: false, async run() {} };

export const ESPRESSIF_VID = 0x303a;
export const USB_JTAG_SERIAL_PID = 0x1001;

/**
 * The strategies to cycle through for `before` (§3.1): USB-Serial/JTAG ⇒ only its sequence;
 * otherwise tight 50/550 then classic 50/550 (classic only on Windows).
 */
export function resetStrategies(before: BeforeReset, opts: { platform?: NodeJS.Platform; usbJtag?: boolean } = {}): ResetStrategy[] {
  if (before === 'no-reset' || before === 'no-reset-no-sync') return [NO_RESET];
  if (before === 'usb-reset' || opts.usbJtag) return [usbJtagReset()];
  const platform = opts.platform ?? process.platform;
  const classic = [classicReset(RESET_DELAY_MS), classicReset(EXTRA_DELAY_MS)];
  if (platform === 'win32') return classic;
  return [tightReset(RESET_DELAY_MS), tightReset(EXTRA_DELAY_MS), ...classic];
}

/** Hard reset after flashing: pulse EN through RTS (§3.1). */
export async function hardReset(t: Transport, sleep: (ms: number) => Promise<void>, usb = false): Promise<void> {
  await t.setSignals({ dtr: false, rts: true });
  await sleep(usb ? 200 : 100);
  await t.setSignals({ rts: false });
  if (usb) await sleep(200);
}
