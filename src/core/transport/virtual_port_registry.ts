/**
 * Where "virtual:<chip>…" ports come from. The core does not know the virtual chip (src/sim):
 * each entry point (CLI, extension, tests) registers the opener, so the core stays sealed.
 */
import type { OpenedPort, OpenPortOptions } from './open_port';

export type VirtualPortOpener = (port: string, baud: number, opts: OpenPortOptions) => Promise<OpenedPort>;

let opener: VirtualPortOpener | undefined;

export function setVirtualPortOpener(f: VirtualPortOpener | undefined): void {
  opener = f;
}

export function virtualPortOpener(): VirtualPortOpener | undefined {
  return opener;
}
