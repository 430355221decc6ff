/** The CLI's entry points offer "virtual:<chip>" ports: the virtual chip (src/sim), loaded on first use. */
import { setVirtualPortOpener } from '../core/transport/virtual_port_registry';

setVirtualPortOpener(async (port, baud, opts) => (await import('../sim/virtual_port_opener')).openVirtualPort(port, baud, opts));
