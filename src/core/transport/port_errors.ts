/** Turn serial-port failures into messages a person can act on. */
import { statSync } from 'node:fs';
import { PortIoError } from '../errors';
import { portProcess } from './port_process';

export class PortOpenError extends Error {
  constructor(
    readonly port: string,
    readonly reason: 'not-found' | 'busy' | 'permission' | 'not-serial' | 'other',
    message: string,
  ) {
    super(message);
    this.name = 'PortOpenError';
  }
}

export function describeOpenError(port: string, err: unknown, platform: NodeJS.Platform = process.platform): PortOpenError {
  const raw = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: string } | undefined)?.code ?? '';
  const notSerial = notASerialDevice(port, raw, code);
  if (notSerial) return new PortOpenError(port, 'not-serial', notSerial);
  if (/ENOENT|No such file|not found|cannot find|File not found/i.test(raw) || code === 'ENOENT') {
    return new PortOpenError(
      port,
      'not-found',
      `Serial port ${port} not found (${raw}). Is the board plugged in and powered? Pick the port again (it may have a new name after replugging; on Windows it is COMn).`,
    );
  }
  if (/Cannot lock port|Resource temporarily unavailable|EBUSY|EAGAIN|busy/i.test(raw) || (platform === 'win32' && /Access denied/i.test(raw))) {
    const holder = platform === process.platform ? portProcess(port) : undefined;
    return new PortOpenError(
      port,
      'busy',
      `Serial port ${port} is busy: another program has it open (a serial monitor, another flasher, a terminal)${holder ? `: process ${holder.pid}, ${holder.command}` : ''}. Close it and try again. (${raw})`,
    );
  }
  if (/Permission denied|EACCES|EPERM|Access denied/i.test(raw)) {
    return new PortOpenError(
      port,
      'permission',
      `Permission denied opening ${port}. On Linux add yourself to the dialout group (sudo usermod -aG dialout $USER, then log out and in again) or install the udev rules for your board. (${raw})`,
    );
  }
  return new PortOpenError(port, 'other', `Could not open serial port ${port}: ${raw}`);
}

/** A regular file, a folder or a device without a serial line (/dev/null) given as the port: what it is and what to do. */
export function notASerialDevice(port: string, raw = '', code = ''): string | undefined {
  let what: string | undefined;
  try {
    const st = statSync(port);
    if (st.isDirectory()) what = 'a folder';
    else if (st.isFile()) what = 'a regular file';
    else if (!st.isCharacterDevice()) what = 'not a character device';
  } catch {
    return undefined; // missing: reported as not found
  }
  if (!what && (code === 'ENOTTY' || /Inappropriate ioctl|ENOTTY/i.test(raw))) what = 'a device without a serial line (it has no terminal settings)';
  if (!what) return undefined;
  return `${port} is ${what}, not a serial port${raw ? ` (${raw})` : ''}. Give the board's serial port (/dev/ttyUSB0, /dev/ttyACM0, COM3), or virtual:<chip> for a virtual chip.`;
}

/** ioctl failures that mean "this device has no modem control lines" (pseudo-terminals, some bridges). */
export function isNoControlLines(err: unknown): boolean {
  const raw = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: string } | undefined)?.code ?? '';
  return /Inappropriate ioctl|ENOTTY|Operation not supported|ENOTSUP|EINVAL|Invalid argument/i.test(raw) || code === 'ENOTTY';
}

/** A failure while the port is open: unplugged devices become a message that says so. */
export function describeIoError(port: string, what: string, err: unknown): Error {
  const raw = err instanceof Error ? err.message : String(err);
  if (/EIO|Input\/output error|ENXIO|No such device|disconnected|ENODEV|bad file descriptor|EBADF/i.test(raw)) {
    return new PortIoError(
      `The serial port ${port} went away while ${what} (${raw}): the device was unplugged, lost power or re-enumerated. Reconnect it and try again.`,
      port,
      true,
    );
  }
  return new PortIoError(`${what[0].toUpperCase()}${what.slice(1)} on ${port} failed: ${raw}`, port, false);
}
