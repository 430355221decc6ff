/**
 * The Device view's rows from what the last connection read (any job: Read Device Info, a
 * flash, an erase): chip, revision, crystal, features, MAC, flash, security and the read-only
 * eFuse summary. No vscode here.
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

function bitsSet(v: number): number {
  let n = 0;
  for (let x = v >>> 0; x; x >>>= 1) n += x & 1;
  return n;
}

export function deviceRows(port: string, info: DeviceInfo, readAt?: Date): DeviceRow[] {
  const id = info.identity;
  const rows: DeviceRow[] = [
    { label: 'Port', value: port, icon: 'plug', tooltip: readAt ? `Read at ${readAt.toLocaleTimeString()} (on connecting; read only)` : undefined },
    { label: 'Chip', value: info.description, icon: 'circuit-board', tooltip: `Chip family: ${info.chip}` },
  ];
  if (id?.revision) rows.push({ label: 'Revision', value: `v${id.revision.major}.${id.revision.minor}`, icon: 'versions', tooltip: 'Chip revision from eFuse (major.minor)' });
  if (id) {
    if (id.crystalMHz !== undefined) {
      rows.push({
        label: 'Crystal',
        value: `${id.crystalMHz} MHz`,
        icon: 'pulse',
        tooltip: id.crystalSource === 'measured' ? 'Measured from the UART clock divider at the connection baud rate' : 'The only crystal this chip family uses',
      });
    }
    rows.push({ label: 'Features', value: id.features.join(', '), icon: 'symbol-misc', tooltip: 'What the chip family has' });
  }
  rows.push(
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
  );
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
      tooltip: info.secureDownloadMode ? 'Only a few commands are allowed: no stub, no flash reads, no flash-size detection.' : 'All loader commands are available.',
    },
    { label: 'Loader', value: info.stub ? 'flasher stub' : 'ROM loader', icon: 'tools' },
  );
  if (info.downloadEncryptDisabled !== undefined) {
    rows.push({
      label: 'Encrypt in download mode',
      value: info.downloadEncryptDisabled ? 'disabled (the chip will not encrypt what it receives)' : 'allowed',
      icon: 'shield',
      attention: info.downloadEncryptDisabled,
    });
  }
  if (id) {
    if (id.writeDisable !== undefined) {
      rows.push({
        label: 'eFuse write-protect (WR_DIS)',
        value: `${hexShort(id.writeDisable)} (${bitsSet(id.writeDisable)} bit${bitsSet(id.writeDisable) === 1 ? '' : 's'} set)`,
        icon: 'lock',
        tooltip: 'Each set bit locks a group of eFuse fields against further programming. Read only: ESP Flasher never writes eFuses.',
      });
    }
    if (id.readDisable !== undefined) {
      rows.push({
        label: 'eFuse read-protect (RD_DIS)',
        value: `0b${id.readDisable.toString(2)}`,
        icon: 'eye-closed',
        tooltip: 'Bit n set: key block n cannot be read back by software.',
      });
    }
    for (const b of id.keyBlocks) {
      const flags = [b.burned ? 'burned' : 'empty', b.writeProtected ? 'write-protected' : undefined, b.readProtected ? 'read-protected' : undefined].filter(Boolean);
      rows.push({
        label: b.name,
        value: `${b.purpose ? `${b.purpose} · ` : ''}${flags.join(' · ')}`,
        icon: b.burned ? 'key' : 'circle-outline',
        tooltip: `${b.name}: ${b.burned ? 'programmed' : 'not programmed'}${b.purpose ? `, purpose ${b.purpose}` : ''}${b.writeProtected ? ', write-protected' : ''}${b.readProtected ? ', read-protected' : ''}. Read only.`,
      });
    }
  }
  return rows;
}
