/**
 * Environment for ../shared/qemu/start-download.sh, used by the real-ROM ring and the bench.
 *
 * The script starts QEMU with UART0 on a TCP socket without TCP_NODELAY. The emulated UART hands
 * its bytes to the socket a few at a time, so Nagle's algorithm holds the rest of every reply
 * until the bridge (socat) acknowledges the first segment, and Linux delays that ACK by about
 * 40 ms: every request/reply round trip took ≈ 44 ms (`esp-flasher info`: 1.83 s), a cost no USB
 * serial bridge has. The script appends UART_LOG to the -chardev option list (",logfile=…"), and
 * has no option of its own for the socket, so "/dev/null,nodelay=on" discards the log and turns
 * Nagle off (`info`: 0.40 s). If the script ever stops doing that, only speed is lost.
 */
export const QEMU_START_ENV: Readonly<Record<string, string>> = Object.freeze({ UART_LOG: '/dev/null,nodelay=on' });

/** The option to add to a -chardev socket QEMU is started with directly (see QEMU_START_ENV). */
export const QEMU_CHARDEV_NODELAY = 'nodelay=on';
