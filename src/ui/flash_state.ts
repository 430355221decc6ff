/**
 * The flash state the status bar shows and the test API exposes, and the status-bar text
 * for each state. No vscode here.
 */

export type FlashPhase = 'idle' | 'flashing' | 'succeeded' | 'failed' | 'cancelled';

export interface FlashState {
  phase: FlashPhase;
  /** The port of the current or last job (or the chosen port when idle). */
  port?: string;
  /** "Flash", "Flash (Encrypted)", "Erase Flash", … */
  operation?: string;
  percent: number;
  segment?: string;
  kbitPerSecond?: number;
  /** Last job: seconds it took, or why it failed. */
  seconds?: number;
  error?: string;
}

export interface StatusView {
  text: string;
  tooltip: string;
  /** Which theme colour the item's background takes. */
  background: 'none' | 'warning' | 'error';
}

/** `rerun`: the title of what a click runs again after a job ("Flash (Encrypted)"); default "Flash". */
export function statusView(s: FlashState, rerun = 'Flash'): StatusView {
  const port = s.port ?? 'no port';
  const again = `Click to run ${rerun} again.`;
  switch (s.phase) {
    case 'idle':
      return {
        text: `$(zap) ESP: ${rerun}`,
        tooltip: s.port ? `${rerun} to ${s.port}` : `No port chosen: click to ${rerun} (you will be asked for a port)`,
        background: 'none',
      };
    case 'flashing': {
      const speed = s.kbitPerSecond !== undefined ? ` ${Math.round(s.kbitPerSecond)} kbit/s` : '';
      return {
        text: `$(sync~spin) ${Math.floor(s.percent)}%${s.segment ? ` ${s.segment}` : ''}${speed}`,
        tooltip: `${s.operation ?? 'Flashing'} on ${port}: ${Math.floor(s.percent)}%${s.segment ? `, writing ${s.segment}` : ''}`,
        background: 'none',
      };
    }
    case 'succeeded':
      return {
        text: `$(check) ESP: ${s.operation ?? 'flash'} ok${s.seconds !== undefined ? ` (${s.seconds.toFixed(1)} s)` : ''}`,
        tooltip: `${s.operation ?? 'Flash'} on ${port} succeeded. ${again}`,
        background: 'none',
      };
    case 'cancelled':
      return {
        text: `$(circle-slash) ESP: cancelled`,
        tooltip: `${s.operation ?? 'Flash'} on ${port} was cancelled; the port is free. ${again}`,
        background: 'warning',
      };
    case 'failed':
      return {
        text: `$(error) ESP: ${s.operation ?? 'flash'} failed`,
        tooltip: `${s.operation ?? 'Flash'} on ${port} failed: ${s.error ?? 'see the ESP Flasher output'}. ${again}`,
        background: 'error',
      };
  }
}
