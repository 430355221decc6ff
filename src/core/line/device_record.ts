/**
 * One device's line in the production report: where it was, what it is, what was written and
 * how it ended. Built from the flash job's typed result and its 'failed' event, never from text.
 */
import type { DeviceInfo, FlashResult } from '../flash/api';
import type { FlashEvent } from '../flash/events';
import type { LinePort } from './port_selection';

/**
 * ok: flashed (and verified); refused: a check refused it, nothing written; failed: an error
 * (unplugged, no answer, verify mismatch…); stalled: no progress within the deadline, stopped;
 * cancelled: Ctrl-C.
 */
export type DeviceOutcome = 'ok' | 'refused' | 'failed' | 'stalled' | 'cancelled';

export interface DeviceRecord {
  /** ISO time the device's job ended. */
  time: string;
  port: string;
  usbSerial?: string;
  usbLocation?: string;
  chip?: string;
  /** Chip revision ("v0.4") when the core reports it. */
  revision?: string;
  /** The chip as detected ("ESP32-C3 (chip id 5), flash encryption off, MAC …"). */
  chipDescription?: string;
  mac?: string;
  flashSize?: number;
  /** "off" | "development" | "release", with "+secure-boot" when secure boot is on. */
  security?: string;
  segmentsWritten: number;
  segmentsSkipped: number;
  /** Bytes sent to the device on the wire (framing included). */
  bytesSent: number;
  seconds: number;
  result: 'ok' | 'failed';
  outcome: DeviceOutcome;
  error?: string;
  /** Where it failed: the segment and the flash offset (hex) the failure names. */
  failedSegment?: string;
  failedOffset?: string;
}

/**
 * "v0.4" from the chip identity the core reads on connecting (DeviceInfo.identity.revision,
 * added by the device-identity work); undefined while the core does not report it.
 */
function revisionOf(d: DeviceInfo): string | undefined {
  const r = d.identity?.revision;
  return r ? `v${r.major}.${r.minor}` : undefined;
}

/** The record for a finished job. `failed` is the job's 'failed' event, when it sent one. */
export function deviceRecord(
  where: LinePort,
  result: FlashResult,
  failed: Extract<FlashEvent, { kind: 'failed' }> | undefined,
  extra: { stalledText?: string; now?: Date } = {},
): DeviceRecord {
  const rec: DeviceRecord = {
    time: (extra.now ?? new Date()).toISOString(),
    port: where.port,
    segmentsWritten: result.segments.filter((s) => s.status === 'written').length,
    segmentsSkipped: result.segments.filter((s) => s.status === 'skipped').length,
    bytesSent: result.wireBytesOut,
    seconds: Math.round(result.seconds * 100) / 100,
    result: result.ok ? 'ok' : 'failed',
    outcome: result.ok ? 'ok' : extra.stalledText ? 'stalled' : result.refusals?.length ? 'refused' : result.cancelled ? 'cancelled' : 'failed',
  };
  if (where.usbSerial) rec.usbSerial = where.usbSerial;
  if (where.usbLocation) rec.usbLocation = where.usbLocation;
  const d = result.device;
  if (d) {
    rec.chip = d.chip;
    const revision = revisionOf(d);
    if (revision) rec.revision = revision;
    rec.chipDescription = d.description;
    if (d.mac) rec.mac = d.mac;
    if (d.flashSize !== undefined) rec.flashSize = d.flashSize;
    rec.security = d.flashEncryption + (d.secureBoot ? '+secure-boot' : '') + (d.secureDownloadMode ? '+secure-download' : '');
  } else if (result.chip) rec.chip = result.chip;
  if (!result.ok) {
    rec.error = extra.stalledText ? `${extra.stalledText} ${result.error ?? ''}`.trim() : (result.error ?? 'failed');
    const seg = failed?.segment ?? result.refusals?.[0]?.segment;
    const off = failed?.offset ?? result.refusals?.[0]?.offset;
    if (seg !== undefined) rec.failedSegment = seg;
    if (off !== undefined) rec.failedOffset = `0x${off.toString(16)}`;
  }
  return rec;
}

/** A record for a device whose job could not even start (the port could not be set up). */
export function startFailureRecord(where: LinePort, message: string, now = new Date()): DeviceRecord {
  const rec: DeviceRecord = {
    time: now.toISOString(),
    port: where.port,
    segmentsWritten: 0,
    segmentsSkipped: 0,
    bytesSent: 0,
    seconds: 0,
    result: 'failed',
    outcome: 'failed',
    error: message,
  };
  if (where.usbSerial) rec.usbSerial = where.usbSerial;
  if (where.usbLocation) rec.usbLocation = where.usbLocation;
  return rec;
}
