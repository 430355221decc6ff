/**
 * The Device view's rows from what "Read Device Info" returned. Read only. No vscode here.
 */
import type { DeviceInfo } from '../core/flash/api';
import { formatSize, hexShort } from './output_log';

export interface DeviceRow {
  label: string;
  value: string;
  tooltip?: string;
  icon: string;
  /** Shown in a warning colour (restrictions that change what flashing can do). */
  attention?: boolean;
}

export function deviceRows(port: string, info: DeviceInfo, readAt?: Date): DeviceRow[] {
  const rows: DeviceRow[] = [
    { label: 'Port', value: port, icon: 'plug', tooltip: readAt ? `Read at ${readAt.toLocaleTimeString()}` : undefined },
    { label: 'Chip', value: info.description, icon: 'circuit-board', tooltip: `Chip family: ${info.chip}` },
    { label: 'MAC', value: info.mac, icon: 'symbol-key' },
    {
      label: 'Flash size',
      value: info.flashSize !== undefined ? formatSize(info.flashSize) : 'unknown',
      icon: 'database',
      tooltip: info.flashId !== undefined ? `Flash ID ${hexShort(info.flashId)}` : 'The flash ID could not be read (secure download mode?)',
    },
    {
      label: 'Flash encryption',
      value: `${info.flashEncryption} (crypt counter ${hexShort(info.cryptCounter)})`,
      icon: info.flashEncryption === 'off' ? 'unlock' : 'lock',
      attention: info.flashEncryption !== 'off',
      tooltip:
        info.flashEncryption === 'release'
          ? 'Release mode: the chip will not encrypt what it receives. Flash pre-encrypted data (encryption mode "host" with the key file).'
          : info.flashEncryption === 'development'
            ? 'Development mode: encrypted segments can be written by the chip (mode "device") or pre-encrypted (mode "host").'
            : 'Flash encryption is off: plain writes boot; encrypted writes would not be readable.',
    },
    {
      label: 'Encryption key',
      value: info.keyPresent ? 'present' : 'none programmed',
      icon: 'key',
    },
  ];
  if (info.flashCryptConfig !== undefined) {
    rows.push({
      label: 'FLASH_CRYPT_CONFIG',
      value: hexShort(info.flashCryptConfig),
      icon: 'settings',
      attention: info.flashCryptConfig !== 0xf,
      tooltip: 'ESP32 tweak configuration; 0xf is the value encrypted writes expect.',
    });
  }
  rows.push(
    { label: 'Secure boot', value: info.secureBoot ? 'enabled' : 'off', icon: 'shield', attention: info.secureBoot },
    {
      label: 'Download mode',
      value: info.secureDownloadMode ? 'secure download mode (restricted)' : 'normal',
      icon: 'debug-disconnect',
      attention: info.secureDownloadMode,
      tooltip: info.secureDownloadMode
        ? 'Only a few commands are allowed: no stub, no flash reads, no flash-size detection.'
        : 'All loader commands are available.',
    },
    { label: 'Loader', value: info.stub ? 'flasher stub' : 'ROM loader', icon: 'tools' },
  );
  return rows;
}
