/**
 * Everything between "open the port" and "ready to write" (§10 steps 1–4): connect, detect the
 * chip, read its security state and MAC, start the stub, switch baud, attach the flash and find
 * its size. Shared by flashSegments and the device operations.
 */
import { CHIP_MAGIC_REG, flashSizeBytes, type ChipFacts } from '../chips';
import { normalizeFlashSize } from '../formats/flash_params';
import { connectLoader } from '../protocol/connect';
import { detectChip, type Detection } from '../protocol/chip_detect';
import { readDeviceSecurity, readMac, type DeviceSecurity } from '../protocol/device_security';
import { LoaderConnection } from '../protocol/loader_connection';
import { CancelledError } from '../protocol/loader_errors';
import type { LoaderSession } from '../protocol/loader_session';
import { Op } from '../protocol/opcodes';
import { flashSizeFromId, readFlashId } from '../protocol/spi_flash_id';
import { loadStub } from '../protocol/stub_images';
import { detectStubGeneration, uploadStub } from '../protocol/stub_upload';
import { CountingTransport } from '../transport/counting_transport';
import { ESP_ROM_BAUD, openTransport, type OpenedPort } from '../transport/open_port';
import { ESPRESSIF_VID, hardReset } from '../transport/reset_strategies';
import { ControlLinesUnsupportedError } from '../transport/transport';
import type { AfterReset, ConnectOptions, DeviceInfo } from './api';
import type { FlashEvent } from './events';
import type { LoaderCaps } from './write_method';

export const DEFAULT_BAUD = 460800;
/** The READ_REG that confirms a baud switch answers within a few ms; a garbled link does not. */
const LINK_CHECK_TIMEOUT_MS = 300;

export interface SessionWants {
  stub: boolean;
  /** Flash size setting ("4MB", "detect", "keep") used for SPI_SET_PARAMS when given explicitly. */
  flashSizeSetting?: string;
}

export interface OpenSession {
  session: LoaderSession;
  conn: LoaderConnection;
  transport: CountingTransport;
  chip: ChipFacts;
  detection: Detection;
  security: DeviceSecurity;
  mac?: string;
  flashId?: number;
  /** Detected flash size (bytes), when the flash ID was readable and known. */
  detectedFlashSize?: number;
  /** Size used for checks: detected, else the explicit setting. */
  flashSize?: number;
  resetLines: boolean;
  caps: LoaderCaps;
  deviceInfo(): DeviceInfo;
  /** Run the after-action (hard reset, …). Errors become warnings. */
  after(action: AfterReset): Promise<void>;
  close(): Promise<void>;
}

export type Emit = (e: FlashEvent) => void;

/**
 * Open `opts.port` (or use `port`, an already opened transport — tests and embedders) and bring
 * the chip to "ready to write". The port is released on any failure.
 */
export async function openSession(opts: ConnectOptions, wants: SessionWants, emit: Emit, port?: OpenedPort): Promise<OpenSession> {
  if (opts.signal?.aborted) throw new CancelledError();
  const opened = port ?? (await openTransport(opts.port, ESP_ROM_BAUD, { onVirtualChip: opts.onVirtualChip }));
  const transport = new CountingTransport(opened.transport);
  const closePort = async () => {
    await opened.close();
  };
  try {
    const conn = new LoaderConnection(transport, opts.signal);
    const connected = await connectLoader(conn, opts.before ?? 'default-reset', {
      attempts: opts.connectAttempts,
      onAttempt: (attempt, strategy) => emit({ kind: 'connecting', port: opts.port, attempt, strategy }),
      onWarning: (message) => emit({ kind: 'warning', message }),
    });
    emit({ kind: 'connected', port: opts.port });
    const session = connected.session;
    const detection = await detectChip(session);
    const chip = detection.chip;
    if (opts.chip && opts.chip !== 'auto' && opts.chip !== chip.name) {
      throw new Error(
        `The chip on ${opts.port} is ${chip.displayName} (${detection.how}), but ${opts.chip} was expected. Pick the right port, or set the chip to "auto" or ${chip.name}.`,
      );
    }
    session.chip = chip;
    session.secureDownloadMode = detection.secureDownloadMode;
    const security = await readDeviceSecurity(session, chip, detection.security, detection.secureDownloadMode);
    let mac: string | undefined;
    if (!detection.secureDownloadMode) mac = await readMac(session, chip);
    const sdmText = detection.secureDownloadMode ? ', Secure Download Mode' : '';
    const description = `${chip.displayName} (${detection.how}${sdmText}), flash encryption ${security.mode}${security.secureBoot ? ', secure boot on' : ''}${mac ? `, MAC ${mac}` : ''}`;
    emit({ kind: 'chip', chip: chip.name, description });

    // Stub.
    const target = opts.baud ?? DEFAULT_BAUD;
    if (wants.stub && !detection.secureDownloadMode) {
      if (!connected.stubAlreadyRunning) {
        const stub = loadStub(chip, opts.stubDir);
        // Where the ROM can change its baud, upload the stub at the transfer baud (it keeps the
        // UART as the ROM left it); 7 KiB take 0.6 s at 115200, 80 ms at 921600.
        if (chip.romHasEsp32Commands && !chip.romBaudChangeUnproven && target > transport.baudRate) await switchBaud(session, conn, transport, target, emit);
        await uploadStub(session, stub);
      }
      session.stubGeneration = await detectStubGeneration(session);
      emit({
        kind: 'stub',
        running: true,
        detail: `${connected.stubAlreadyRunning ? 'stub already running' : 'stub uploaded'} (${session.stubGeneration} protocol${session.stubGeneration === 'legacy' ? ': 16-byte FLASH_BEGIN, FLASH_ENCRYPT_DATA, no compressed encryption' : ': encrypted flag on FLASH_BEGIN/FLASH_DEFL_BEGIN'})`,
      });
    } else {
      if (connected.stubAlreadyRunning) {
        session.stubGeneration = await detectStubGeneration(session);
      }
      emit({
        kind: 'stub',
        running: session.isStub,
        detail: session.isStub
          ? 'a stub was already running'
          : detection.secureDownloadMode
            ? 'ROM loader (Secure Download Mode forbids the stub)'
            : 'ROM loader (stub not used)',
      });
    }

    // Baud rate.
    const canChange = session.isStub || chip.romHasEsp32Commands;
    if (target !== transport.baudRate && canChange) {
      await switchBaud(session, conn, transport, target, emit);
    }

    // Flash attach, ID, size.
    if (session.isStub || chip.romHasEsp32Commands) await session.spiAttach(0);
    let flashId: number | undefined;
    let detectedFlashSize: number | undefined;
    if (!detection.secureDownloadMode) {
      try {
        flashId = await readFlashId(session, chip);
        detectedFlashSize = flashSizeFromId(flashId);
        if (detectedFlashSize === undefined) emit({ kind: 'warning', message: `Unknown flash ID 0x${flashId.toString(16).padStart(6, '0')}: flash size not detected; give the flash size setting.` });
      } catch (e) {
        if (e instanceof CancelledError) throw e;
        emit({ kind: 'warning', message: `Could not read the flash ID: ${(e as Error).message}` });
      }
    }
    const explicit = wants.flashSizeSetting ? normalizeFlashSize(wants.flashSizeSetting) : undefined;
    const explicitBytes = explicit && explicit !== 'detect' && explicit !== 'keep' ? flashSizeBytes(explicit) : undefined;
    const flashSize = detectedFlashSize ?? explicitBytes;
    if (flashSize !== undefined && (session.isStub || chip.romHasEsp32Commands)) await session.spiSetParams(flashSize);

    const caps: LoaderCaps = { chip, stub: session.isStub, stubGeneration: session.stubGeneration, secureDownloadMode: detection.secureDownloadMode };
    let closed = false;
    const result: OpenSession = {
      session,
      conn,
      transport,
      chip,
      detection,
      security,
      mac,
      flashId,
      detectedFlashSize,
      flashSize,
      resetLines: connected.resetLines,
      caps,
      deviceInfo: () => {
        const info: DeviceInfo = {
          chip: chip.name,
          description,
          mac: mac ?? '',
          flashEncryption: security.mode,
          cryptCounter: security.cryptCounter,
          secureBoot: security.secureBoot,
          secureDownloadMode: detection.secureDownloadMode,
          keyPresent: security.keyPresent ?? false,
          stub: session.isStub,
        };
        if (detectedFlashSize !== undefined) info.flashSize = detectedFlashSize;
        if (flashId !== undefined) info.flashId = flashId;
        if (security.flashCryptConfig !== undefined) info.flashCryptConfig = security.flashCryptConfig;
        return info;
      },
      after: (action) => afterAction(result, action, emit),
      close: async () => {
        if (closed) return;
        closed = true;
        await closePort();
      },
    };
    return result;
  } catch (e) {
    await closePort().catch(() => undefined);
    throw e;
  }
}

/**
 * CHANGE_BAUDRATE, then confirm the link at the new rate with one READ_REG (a single reply; a
 * SYNC would wait for up to 8); look for the chip at the old rate if that fails (§12).
 */
async function switchBaud(session: LoaderSession, conn: LoaderConnection, transport: CountingTransport, baud: number, emit: Emit): Promise<void> {
  const old = transport.baudRate;
  await session.changeBaud(baud, old);
  await transport.setBaudRate(baud);
  await conn.sleep(50);
  await conn.flushInput();
  if (await tryLink(session, conn, 3)) {
    emit({ kind: 'baud', baud });
    return;
  }
  // The chip may not have switched: go back and look for it at the old rate.
  await transport.setBaudRate(old);
  await conn.flushInput();
  if (await tryLink(session, conn, 3)) {
    emit({ kind: 'warning', message: `The chip did not answer at ${baud} baud; staying at ${old} baud. Try a lower baud rate or another USB cable/bridge.` });
    return;
  }
  throw new Error(`Lost contact with the chip after switching to ${baud} baud on ${conn.port}, and it does not answer at ${old} either. Reset it and try a lower baud rate.`);
}

async function tryLink(session: LoaderSession, conn: LoaderConnection, times: number): Promise<boolean> {
  for (let i = 0; i < times; i++) {
    try {
      await session.readReg(CHIP_MAGIC_REG, LINK_CHECK_TIMEOUT_MS);
      return true;
    } catch (e) {
      if (e instanceof CancelledError) throw e;
      await conn.drain(50);
    }
  }
  return false;
}

async function afterAction(s: OpenSession, action: AfterReset, emit: Emit): Promise<void> {
  if (action !== 'hard-reset') {
    emit({ kind: 'reset', how: action === 'no-reset-stub' ? 'none: staying in the flasher stub' : 'none: staying in the loader' });
    return;
  }
  const usb = s.transport.usb?.vendorId === ESPRESSIF_VID;
  try {
    await hardReset(s.transport, (ms) => s.conn.sleep(ms), usb);
    emit({ kind: 'reset', how: 'hard reset (RTS pulse on EN)' });
    return;
  } catch (e) {
    if (!(e instanceof ControlLinesUnsupportedError)) {
      emit({ kind: 'warning', message: `Hard reset failed: ${(e as Error).message}. Press the RESET button.` });
      return;
    }
  }
  // No reset lines (pseudo-terminal, some bridges): ask the loader to leave instead.
  try {
    await s.session.flashBegin({ size: 0, blocks: 0, blockSize: s.session.flashBlockSize, offset: 0, encrypted: false });
    await s.session.flashEnd(Op.FLASH_END, false);
    emit({ kind: 'reset', how: 'soft reset (FLASH_END "reboot"; the port has no reset lines)' });
  } catch (e) {
    emit({ kind: 'warning', message: `The port has no reset lines and the soft reset failed (${(e as Error).message}); press the RESET button to run the new firmware.` });
  }
}
