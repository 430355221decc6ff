/**
 * Everything between "open the port" and "ready to write" (§10 steps 1–4): connect, detect the
 * chip, read its security state and MAC, start the stub, switch baud, attach the flash and find
 * its size. Shared by flashSegments and the device operations.
 */
import { CHIP_MAGIC_REG, flashSizeBytes, type ChipFacts } from '../chips';
import { normalizeFlashSize } from '../formats/flash_params';
import { ChipMismatchError, DeviceError } from '../errors';
import { connectLoader } from '../protocol/connect';
import { detectChip, type Detection } from '../protocol/chip_detect';
import { readChipIdentity } from '../protocol/chip_identity';
import { readDeviceSecurity, readMac, type DeviceSecurity } from '../protocol/device_security';
import { LoaderConnection } from '../protocol/loader_connection';
import { CancelledError, LoaderTimeoutError } from '../protocol/loader_errors';
import type { LoaderSession } from '../protocol/loader_session';
import { Op } from '../protocol/opcodes';
import { flashSizeFromId, readFlashId } from '../protocol/spi_flash_id';
import { stubCapabilities } from '../protocol/stub_capabilities';
import { checkStubDir, loadStub } from '../protocol/stub_images';
import { StubStartError, stubSilentError, uploadStub } from '../protocol/stub_upload';
import { CountingTransport } from '../transport/counting_transport';
import { ESP_ROM_BAUD, openTransport, type OpenedPort } from '../transport/open_port';
import { ESPRESSIF_VID, hardReset } from '../transport/reset_strategies';
import { ControlLinesUnsupportedError } from '../transport/transport';
import type { AfterReset, BeforeReset, ConnectOptions, DeviceInfo } from './api';
import type { FlashEvent } from './events';
import type { LoaderCaps } from './write_method';

export const DEFAULT_BAUD = 460800;
/** The READ_REG that confirms a baud switch answers within a few ms; a garbled link does not. */
const LINK_CHECK_TIMEOUT_MS = 300;

export interface SessionWants {
  stub: boolean;
  /** The user insisted on the stub: one that does not start is an error, not a fallback to the ROM loader. */
  stubRequired?: boolean;
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
  /** Why the stub was wanted but the ROM loader answers instead (it did not start). */
  stubFailure?: string;
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
  // A stub folder that cannot serve is an error before the port is touched (never a silent switch).
  if (wants.stub && opts.stubDir) checkStubDir(opts.stubDir);
  const opened = port ?? (await openTransport(opts.port, ESP_ROM_BAUD, { onVirtualChip: opts.onVirtualChip }));
  const transport = new CountingTransport(opened.transport);
  const closePort = async () => {
    await opened.close();
  };
  try {
    const conn = new LoaderConnection(transport, opts.signal, opts.trace);
    const connected = await connectLoader(conn, opts.before ?? 'default-reset', {
      attempts: opts.connectAttempts,
      onAttempt: (attempt, strategy) => emit({ kind: 'connecting', port: opts.port, attempt, strategy }),
      onWarning: (message) => emit({ kind: 'warning', message }),
    });
    emit({ kind: 'connected', port: opts.port });
    let session = connected.session;
    const detection = await detectChip(session, opts.chip && opts.chip !== 'auto' ? opts.chip : undefined);
    const chip = detection.chip;
    if (opts.chip && opts.chip !== 'auto' && opts.chip !== chip.name) {
      throw new ChipMismatchError(
        `The chip on ${opts.port} is ${chip.displayName} (${detection.how}), but ${opts.chip} was expected. Pick the right port, or set the chip to "auto" or ${chip.name}.`,
        chip.name,
        opts.chip,
      );
    }
    session.chip = chip;
    session.secureDownloadMode = detection.secureDownloadMode;
    const security = await readDeviceSecurity(session, chip, detection.security, detection.secureDownloadMode);
    let mac: string | undefined;
    if (!detection.secureDownloadMode) mac = await readMac(session, chip);
    // Read only: revision, crystal, eFuse protection bits (measured at the ROM's baud, before any switch).
    const identity = detection.secureDownloadMode ? undefined : await readChipIdentity(session, chip, security, transport.baudRate);
    const sdmText = detection.secureDownloadMode ? ', Secure Download Mode' : '';
    const description = `${chip.displayName} (${detection.how}${sdmText}), flash encryption ${security.mode}${security.secureBoot ? ', secure boot on' : ''}${mac ? `, MAC ${mac}` : ''}`;
    emit({ kind: 'chip', chip: chip.name, description });

    // Stub: what it can do comes from its identity (stub_capabilities.ts), never from probing it.
    // One that does not start (no OHAI, or silent at its first command) leaves the chip running
    // nothing we can talk to: reset it into the ROM loader and carry on there, unless the stub was
    // insisted on.
    let stubFailure: string | undefined;
    if (connected.stubAlreadyRunning) {
      session.stub = stubCapabilities(undefined);
    } else if (wants.stub && !detection.secureDownloadMode) {
      const stub = loadStub(chip, opts.stubDir);
      // Where the ROM can change its baud, upload the stub at the transfer baud (it keeps the
      // UART as the ROM left it); 7 KiB take 0.6 s at 115200, 80 ms at 921600.
      const early = opts.baud ?? DEFAULT_BAUD;
      if (chip.romHasEsp32Commands && !chip.romBaudChangeUnproven && early > transport.baudRate) await switchBaud(session, conn, transport, early, emit);
      try {
        await uploadStub(session, stub, undefined, { secureBoot: security.secureBoot, secureDownloadMode: detection.secureDownloadMode });
        session.stub = stubCapabilities(stub.identity);
        // One cheap command proves the stub answers (every loader reads registers).
        await session.readReg(CHIP_MAGIC_REG).catch((e: unknown) => {
          throw e instanceof LoaderTimeoutError ? stubSilentError(stub, e) : e;
        });
        if (!stub.identity.release) {
          emit({
            kind: 'warning',
            message: `The stub ${stub.file} is not one ESP Flasher knows (image ${stub.identity.hash}): using the conservative set (no compressed encrypted writes; encrypted writes ask with the FLASH_BEGIN flag).`,
          });
        }
      } catch (e) {
        if (!(e instanceof StubStartError) || wants.stubRequired) throw e;
        stubFailure = e.detail;
        // After a reset the ROM listens at its own baud again.
        if (transport.baudRate !== ESP_ROM_BAUD) await transport.setBaudRate(ESP_ROM_BAUD);
        session = await backToRom(conn, chip, detection.secureDownloadMode, opts.before, connected.resetLines, e, emit);
      }
    }
    if (session.isStub) {
      emit({
        kind: 'stub',
        running: true,
        detail: connected.stubAlreadyRunning
          ? 'a stub was already running (not identified: conservative capabilities)'
          : `stub uploaded: ${session.stub?.name} (${session.stub?.licence})`,
      });
    } else {
      emit({
        kind: 'stub',
        running: false,
        detail: stubFailure
          ? 'ROM loader (the flasher stub did not start)'
          : detection.secureDownloadMode
            ? 'ROM loader (Secure Download Mode forbids the stub)'
            : 'ROM loader (stub not used)',
      });
    }

    // Baud rate (already switched before the stub upload where the ROM allows it).
    const target = opts.baud ?? DEFAULT_BAUD;
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
        if (detectedFlashSize === undefined)
          emit({ kind: 'warning', message: `Unknown flash ID 0x${flashId.toString(16).padStart(6, '0')}: flash size not detected; give the flash size setting.` });
      } catch (e) {
        if (e instanceof CancelledError) throw e;
        emit({ kind: 'warning', message: `Could not read the flash ID: ${(e as Error).message}` });
      }
    }
    const explicit = wants.flashSizeSetting ? normalizeFlashSize(wants.flashSizeSetting) : undefined;
    const explicitBytes = explicit && explicit !== 'detect' && explicit !== 'keep' ? flashSizeBytes(explicit) : undefined;
    const flashSize = detectedFlashSize ?? explicitBytes;
    if (flashSize !== undefined && (session.isStub || chip.romHasEsp32Commands)) await session.spiSetParams(flashSize);

    const caps: LoaderCaps = { chip, stub: session.isStub ? session.stub : undefined, secureDownloadMode: detection.secureDownloadMode };
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
      stubFailure,
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
        if (identity) info.identity = identity;
        info.securitySource = security.source;
        if (security.downloadEncryptDisabled !== undefined) info.downloadEncryptDisabled = security.downloadEncryptDisabled;
        return info;
      },
      after: (action) => afterAction(result, action, emit),
      close: async () => {
        if (closed) return;
        closed = true;
        await closePort();
      },
    };
    emit({ kind: 'device', info: result.deviceInfo() });
    return result;
  } catch (e) {
    await closePort().catch(() => undefined);
    throw e;
  }
}

/** Attempts when the person must reset the chip by hand (about 15 s of SYNCs). */
const BY_HAND_ATTEMPTS = 20;

/**
 * The stub did not start: reset the chip into download mode (reset lines, or by hand when the
 * port has none or resets were declined) and connect to the ROM loader again.
 */
async function backToRom(
  conn: LoaderConnection,
  chip: ChipFacts,
  sdm: boolean,
  before: BeforeReset | undefined,
  resetLines: boolean,
  why: StubStartError,
  emit: Emit,
): Promise<LoaderSession> {
  const useLines = resetLines && before !== 'no-reset' && before !== 'no-reset-no-sync';
  const cannotEncrypt = chip.romEncryptedFlag ? '' : ` (the ${chip.displayName} ROM loader cannot encrypt: device-encrypted segments will be refused)`;
  const how = useLines ? 'resetting the chip into download mode' : 'reset the chip into download mode by hand now (hold BOOT, press and release RESET)';
  emit({ kind: 'warning', message: `${why.detail} Continuing with the ROM loader, which is slower${cannotEncrypt}: ${how}.` });
  const again = await connectLoader(conn, useLines ? (before ?? 'default-reset') : 'no-reset', {
    attempts: useLines ? undefined : BY_HAND_ATTEMPTS,
    onAttempt: (attempt, strategy) => emit({ kind: 'connecting', port: conn.port, attempt, strategy }),
  }).catch((e: unknown) => {
    if (e instanceof CancelledError) throw e;
    throw new DeviceError(`${why.message} Going back to the ROM loader failed too: ${(e as Error).message}`);
  });
  if (again.stubAlreadyRunning)
    throw new DeviceError(`${why.message} After the reset a stub still answers instead of the ROM loader; power-cycle the chip into download mode and flash without the stub.`);
  emit({ kind: 'connected', port: conn.port });
  const session = again.session;
  session.chip = chip;
  session.secureDownloadMode = sdm;
  return session;
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
  throw new DeviceError(`Lost contact with the chip after switching to ${baud} baud on ${conn.port}, and it does not answer at ${old} either. Reset it and try a lower baud rate.`);
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
    await s.session.flashBegin({ size: 0, blocks: 0, blockSize: s.session.flashBlockSize, offset: 0 });
    await s.session.flashEnd(Op.FLASH_END, false);
    emit({ kind: 'reset', how: 'soft reset (FLASH_END "reboot"; the port has no reset lines)' });
  } catch (e) {
    emit({ kind: 'warning', message: `The port has no reset lines and the soft reset failed (${(e as Error).message}); press the RESET button to run the new firmware.` });
  }
}
