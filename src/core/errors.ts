/**
 * The core's error classes: each says what kind of failure it is, so the faces (CLI, editor)
 * decide how to show it from the class and its fields, never by reading the message text.
 */

/** Base: a failure a person can act on; `advice` says what to do, when it is not in the message. */
export class FlasherError extends Error {
  constructor(
    message: string,
    readonly advice?: string,
  ) {
    super(message);
    // Spelled out per class below, so a minified bundle keeps the names the faces key on (FlashResult.errorClass).
    this.name = new.target.name;
  }
}

/** Bad input: a segment, offset, file or setting that cannot be used as given. Nothing was written. */
export class InputError extends FlasherError {
  override name = 'InputError';
  constructor(
    message: string,
    readonly where?: { segment?: string; offset?: number; file?: string; setting?: string },
  ) {
    super(message);
  }
}

/** The connected chip is not the one the job is for. */
export class ChipMismatchError extends FlasherError {
  override name = 'ChipMismatchError';
  constructor(
    message: string,
    readonly found: string,
    readonly expected: string,
  ) {
    super(message);
  }
}

/** The port failed while open (unplugged, lost power, re-enumerated). */
export class PortIoError extends FlasherError {
  override name = 'PortIoError';
  constructor(
    message: string,
    readonly port: string,
    readonly gone: boolean,
  ) {
    super(message);
  }
}

/** The chip or the link misbehaved: no sync, a crash, lost contact, a malformed or missing reply. */
export class DeviceError extends FlasherError {
  override name = 'DeviceError';
}

/** A file that cannot be read (missing, unreadable, a folder); `code` is the errno code when there is one. */
export class FileError extends FlasherError {
  override name = 'FileError';
  constructor(
    message: string,
    readonly file: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** A broken invariant of ESP Flasher itself (a bug, not the user's input or the device): report it. */
export class InternalError extends FlasherError {
  override name = 'InternalError';
}
