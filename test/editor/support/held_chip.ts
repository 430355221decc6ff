/**
 * A virtual chip the test itself holds, behind a pseudo-terminal (src/sim/pty_chip, socat): the
 * extension flashes its path like any serial port, and the test reads the chip's flash afterwards.
 */
import { startPtyChip, type PtyChip } from '../../../src/sim/pty_chip';
import type { VirtualChipOptions } from '../../../src/sim/virtual_chip';

export async function holdChip(opts: VirtualChipOptions): Promise<PtyChip> {
  return startPtyChip(opts);
}
