/**
 * Sorts what a core call threw into the kinds the UI treats differently (port held by
 * another program, missing port, permission, cancelled, a safety refusal that `force`
 * can override, anything else) and words the message — from the error's class and typed
 * fields (PortOpenError.reason, errno codes, the core's refusals), never from its text.
 * No vscode here.
 */

export type ErrorKind = 'port-busy' | 'port-missing' | 'permission' | 'cancelled' | 'refusal' | 'other';

export interface ErrorAdvice {
  kind: ErrorKind;
  /** One line for the dialog. */
  message: string;
  /** What was found and what to do (the dialog's detail). */
  detail: string;
  /** The core would go ahead with `force: true` (after the user confirms the risk). */
  overridable: boolean;
}

interface ErrorLike {
  name?: string;
  message?: string;
  /** errno code (EBUSY, EACCES, ENOENT…) from Node. */
  code?: string;
  path?: string;
  /** PortOpenError's verdict. */
  reason?: string;
  /** The core's typed refusals (FlashRefusal: code, segment, offset, overridable, reason, advice). */
  refusals?: RefusalLike[];
  cause?: unknown;
}

interface RefusalLike {
  code?: string;
  segment?: string;
  offset?: number;
  overridable?: boolean;
  reason?: string;
  advice?: string;
  message?: string;
}

export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  return String(e);
}

function chain(e: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    out.push(cur as ErrorLike);
    cur = (cur as ErrorLike).cause;
  }
  if (typeof e === 'string') out.push({ message: e });
  return out;
}

/** The error a failed flash result stands for, carrying the core's refusals and its error class as data. */
export function flashResultError(r: { error?: string; errorClass?: string; refusals?: RefusalLike[] }, fallback: string): Error {
  const e = new Error(r.error ?? fallback);
  if (r.errorClass) e.name = r.errorClass;
  if (r.refusals?.length) Object.assign(e, { name: 'FlashRefusedError', refusals: r.refusals });
  return e;
}

/** One refusal in the editor's words: the reason (the dialog offers its own override button). */
function refusalReason(r: RefusalLike): string {
  return r.reason ?? r.message ?? '';
}

/** Sorts what a core call threw by its class and fields (never by its message text). */
export function adviseError(e: unknown, port?: string): ErrorAdvice {
  const links = chain(e);
  const text = errorText(e);
  const where = port ?? 'the port';
  if (links.some((l) => l.name === 'CancelledError' || l.name === 'AbortError')) {
    return { kind: 'cancelled', message: 'Cancelled.', detail: `${text} The port ${where} was released.`, overridable: false };
  }
  const listed = links.find((l) => Array.isArray(l.refusals) && l.refusals.length);
  if (listed?.refusals) {
    const refusals = listed.refusals;
    const overridable = refusals.every((r) => r.overridable === true);
    const reasons = refusals.map(refusalReason).filter(Boolean);
    const advice = [...new Set(refusals.map((r) => r.advice).filter((a): a is string => !!a))];
    return {
      kind: 'refusal',
      message: reasons.length ? `ESP Flasher refused to write: ${reasons.join(' ')}` : `ESP Flasher refused to write: ${text}`,
      detail:
        'Nothing was written. This check protects the device. ' +
        (advice.length ? `${advice.join(' ')} ` : 'Fix what the message names (the build, the settings, the encrypt checkboxes or the port). ') +
        (overridable ? 'Override it only if you are sure what the device holds.' : 'This check cannot be overridden.'),
      overridable,
    };
  }
  const file = links.find((l) => l.path && l.path !== port);
  if (file) {
    return { kind: 'other', message: text, detail: `The file ${file.path} is at fault (${file.code ?? 'error'}).`, overridable: false };
  }
  const reason = links.find((l) => l.name === 'PortOpenError')?.reason;
  const errno = links.map((l) => l.code).find(Boolean);
  if (reason === 'busy' || (!reason && errno === 'EBUSY')) {
    return {
      kind: 'port-busy',
      message: `${where} is held by another program.`,
      detail: `${text}\n\nAnother program (a serial monitor, a terminal such as screen/minicom, another IDE) has ${where} open. ` + 'Close it or stop its monitor, then try again.',
      overridable: false,
    };
  }
  if (reason === 'permission' || (!reason && (errno === 'EACCES' || errno === 'EPERM'))) {
    return {
      kind: 'permission',
      message: `No permission to open ${where}.`,
      detail: `${text}\n\nOn Linux add yourself to the "dialout" (or "uucp") group and log in again; on other systems check the driver and the port's permissions.`,
      overridable: false,
    };
  }
  if (reason === 'not-found' || reason === 'not-serial' || (!reason && errno === 'ENOENT')) {
    return {
      kind: 'port-missing',
      message: reason === 'not-serial' ? `${where} is not a serial port.` : `${where} was not found.`,
      detail: `${text}\n\nPlug the board in (or re-plug it: native-USB chips re-enumerate), then run "ESP Flasher: Select Port".`,
      overridable: false,
    };
  }
  if (links.some((l) => l.name === 'StubStartError')) {
    return {
      kind: 'other',
      message: text,
      detail: 'To flash through the ROM loader instead, set "ESP Flasher › Stub" to "rom" (slower; the ESP32 ROM cannot encrypt).',
      overridable: false,
    };
  }
  return { kind: 'other', message: text, detail: '', overridable: false };
}
