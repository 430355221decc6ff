/**
 * Getting the chip into conversation: reset strategy, ROM boot banner, SYNC (§3.1, §3.2).
 * Reset lines missing (a pseudo-terminal answers ENOTTY) are not fatal: the remaining attempts
 * sync without resetting.
 */
import { DeviceError } from '../errors';
import type { BeforeReset } from '../flash/api';
import { ESPRESSIF_VID, NO_RESET, USB_JTAG_SERIAL_PID, resetStrategies, type ResetStrategy } from '../transport/reset_strategies';
import { ControlLinesUnsupportedError } from '../transport/transport';
import { throwIfAborted } from './abort_wait';
import { CancelledError } from './loader_errors';
import type { LoaderConnection } from './loader_connection';
import { LoaderSession } from './loader_session';

export const CONNECT_ATTEMPTS = 7;
const SYNCS_PER_ATTEMPT = 5;

export interface ConnectProgress {
  /** Connection attempts (default 7, §3.1). */
  attempts?: number;
  onAttempt?: (attempt: number, strategy: string) => void;
  onWarning?: (message: string) => void;
}

export interface Connected {
  session: LoaderSession;
  /** All SYNC replies carried value 0: a stub was already running. */
  stubAlreadyRunning: boolean;
  /** Boot log seen while connecting (for diagnostics). */
  bootLog: string;
  /** Control lines work on this port. */
  resetLines: boolean;
  strategy: string;
}

export interface BootBanner {
  bootMode?: string;
  waitingForDownload: boolean;
}

/** Find the ROM banner `boot:0x…` and "waiting for download" in boot-log noise (§3.2). */
export function parseBootBanner(text: string): BootBanner | undefined {
  const m = /boot:(0x[0-9a-fA-F]+)([\s\S]*waiting for download)?/.exec(text);
  if (!m) return undefined;
  return { bootMode: m[1], waitingForDownload: m[2] !== undefined };
}

/** The message shown when no attempt synced; says what a person can try. */
export function syncFailureMessage(port: string, attempts: number, strategies: string[], bootLog: string, resetLines: boolean): string {
  const banner = parseBootBanner(bootLog);
  const lines = [`Failed to connect to the chip on ${port}: no reply to SYNC after ${attempts} attempt(s) (reset: ${[...new Set(strategies)].join(', ')}).`];
  if (banner?.waitingForDownload) {
    lines.push(
      `The chip printed "waiting for download" (boot mode ${banner.bootMode}) but never answered: the host→chip (TX) path seems down — check the TX wire and the baud rate.`,
    );
  } else if (banner) {
    lines.push(`Wrong boot mode ${banner.bootMode}: the chip booted normally instead of entering download mode. Hold BOOT (IO0 low) while you press RESET/EN, then release RESET.`);
  }
  lines.push(
    'Things to try: hold the BOOT button while connecting (or press RESET with BOOT held); use a data USB cable, not a charge-only one; ' +
      'close any serial monitor or other program that has the port open (the port is busy); ' +
      'on Linux make sure you may use the port (add yourself to the dialout group: sudo usermod -aG dialout $USER, then log in again).',
  );
  if (!resetLines) lines.push('This port has no DTR/RTS reset lines, so the chip must already be in download mode (reset it by hand with BOOT held).');
  return lines.join(' ');
}

async function readBootLog(conn: LoaderConnection): Promise<void> {
  // Collect what the ROM prints right after reset (at most 150 ms, ends after 30 ms of quiet).
  const end = Date.now() + 150;
  while (Date.now() < end) {
    const chunk = await conn.transport.read(Math.min(30, end - Date.now()));
    if (!chunk.length) break;
    conn.decoder.push(chunk);
  }
}

export async function connectLoader(conn: LoaderConnection, before: BeforeReset = 'default-reset', progress: ConnectProgress = {}): Promise<Connected> {
  const session = new LoaderSession(conn);
  const signal = conn.abortSignal;
  if (before === 'no-reset-no-sync') {
    return { session, stubAlreadyRunning: false, bootLog: '', resetLines: true, strategy: 'no-reset-no-sync' };
  }
  const usb = conn.transport.usb;
  const usbJtag = !!usb && usb.vendorId === ESPRESSIF_VID && usb.productId === USB_JTAG_SERIAL_PID;
  let strategies: ResetStrategy[] = resetStrategies(before, { usbJtag });
  let resetLines = true;
  const used: string[] = [];
  conn.decoder.clearNoise();
  let bootLog = '';
  const attempts = progress.attempts ?? CONNECT_ATTEMPTS;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    throwIfAborted(signal);
    let strategy = strategies[(attempt - 1) % strategies.length];
    progress.onAttempt?.(attempt, strategy.name);
    await conn.flushInput();
    if (strategy.usesLines) {
      try {
        await strategy.run(conn.transport, (ms) => conn.sleep(ms));
      } catch (e) {
        if (e instanceof CancelledError) throw e;
        if (!(e instanceof ControlLinesUnsupportedError)) throw e;
        resetLines = false;
        strategies = [NO_RESET];
        strategy = NO_RESET;
        progress.onWarning?.(`${conn.port} has no DTR/RTS control lines; continuing without reset — the chip must already be in download mode.`);
      }
      await readBootLog(conn);
    }
    used.push(strategy.name);
    for (let i = 0; i < SYNCS_PER_ATTEMPT; i++) {
      throwIfAborted(signal);
      bootLog += conn.decoder.noiseText();
      conn.decoder.clearNoise();
      await conn.flushInput();
      try {
        const values = await session.syncOnce();
        const stubAlreadyRunning = values.every((v) => v === 0);
        session.isStub = stubAlreadyRunning;
        return { session, stubAlreadyRunning, bootLog, resetLines, strategy: strategy.name };
      } catch (e) {
        if (e instanceof CancelledError) throw e;
        await conn.sleep(50);
      }
    }
    bootLog += conn.decoder.noiseText();
    conn.decoder.clearNoise();
  }
  throw new DeviceError(syncFailureMessage(conn.port, attempts, used, bootLog, resetLines));
}
