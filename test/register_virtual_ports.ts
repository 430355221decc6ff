/** Mocha setup (.mocharc.json "require"): tests open "virtual:<chip>" ports through the real serialport binding. */
import { setVirtualPortOpener } from '../src/core/transport/virtual_port_registry';
import { openVirtualPort } from '../src/sim/virtual_port_opener';

setVirtualPortOpener(openVirtualPort);
