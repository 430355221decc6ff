/**
 * Sorts what a core call threw into the kinds the UI treats differently (port held by
 * another program, missing port, permission, cancelled, a safety refusal that `force`
 * can override, anything else) and words the message. No vscode here.
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
  code?: string;
  path?: string;
  /** PortOpenError's verdict: 'not-found' | 'busy' | 'permission' | 'other'. */
  reason?: string;
  /** A refusal error may list its refusals, each overridable or not. */
  refusals?: Array<{ overridable?: boolean; message?: string }>;
  overridable?: boolean;
  forceable?: boolean;
  cause?: unknown;
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

const BUSY = /\b(EBUSY|Cannot lock port|Resource temporarily unavailable|being used by another|Resource busy|port is (already )?(open|in use))\b/i;
const MISSING = /\b(ENOENT|No such file or directory|File not found|cannot find the file)\b/i;
const PERMISSION = /\b(EACCES|EPERM|Permission denied)\b/i;
/** The core's refusals say how to override them; a refusal names --force or `force`. */
const FORCE_HINT = /(--force|\bforce: ?true\b|\bforce\b.*\boverride|\boverride\b.*\bforce\b)/i;
/** The core's messages end with a note for command-line users; the dialogs offer their own override. */
const FORCE_NOTE = /\s*\(--force overrides this check\.\)/g;

/** The error a failed flash result stands for, carrying the core's refusals as data. */
export function flashResultError(r: { error?: string; refusals?: Array<{ message: string; overridable: boolean }> }, fallback: string): Error {
  const e = new Error(r.error ?? fallback);
  if (r.refusals?.length) Object.assign(e, { name: 'FlashRefusedError', refusals: r.refusals });
  return e;
}

export function adviseError(e: unknown, port?: string): ErrorAdvice {
  const links = chain(e);
  const text = errorText(e);
  const all = links.map((l) => `${l.code ?? ''} ${l.name ?? ''} ${l.message ?? ''}`).join(' | ');
  const where = port ?? 'the port';
  if (links.some((l) => l.name === 'CancelledError' || l.name === 'AbortError')) {
    return { kind: 'cancelled', message: 'Cancelled.', detail: `${text} The port ${where} was released.`, overridable: false };
  }
  const listed = links.find((l) => Array.isArray(l.refusals) && l.refusals.length && l.refusals.every((r) => typeof r.message === 'string'));
  if (listed?.refusals) {
    const overridable = listed.refusals.every((r) => r.overridable === true);
    return {
      kind: 'refusal',
      message: `ESP Flasher refused to write: ${listed.refusals.map((r) => (r.message ?? '').replace(FORCE_NOTE, '')).join(' ')}`,
      detail:
        'Nothing was written. This check protects the device. Fix what the message names (the build, the settings, the encrypt checkboxes or the port)' +
        (overridable ? ', or override it only if you are sure what the device holds.' : '. This check cannot be overridden.'),
      overridable,
    };
  }
  const refusal = links.find((l) => Array.isArray(l.refusals) || l.overridable !== undefined || l.forceable !== undefined || /Refus|Safety/.test(l.name ?? ''));
  if (refusal || FORCE_HINT.test(all)) {
    const overridable = refusal
      ? Array.isArray(refusal.refusals) && refusal.refusals.length
        ? refusal.refusals.every((r) => r.overridable === true)
        : refusal.overridable === true || refusal.forceable === true || FORCE_HINT.test(all)
      : true;
    return {
      kind: 'refusal',
      message: `ESP Flasher refused to go on: ${text}`,
      detail:
        'Nothing was written. This check protects the device. Fix what the message names (the build, the settings or the port)' +
        (overridable ? ', or override it only if you are sure what the device holds.' : '. This check cannot be overridden.'),
      overridable,
    };
  }
  const file = links.find((l) => l.path && l.path !== port);
  if (file) {
    return { kind: 'other', message: text, detail: `The file ${file.path} is at fault (${file.code ?? 'error'}).`, overridable: false };
  }
  const reason = links.find((l) => l.name === 'PortOpenError')?.reason;
  if (reason === 'busy' || (!reason && (links.some((l) => l.code === 'EBUSY') || BUSY.test(all)))) {
    return {
      kind: 'port-busy',
      message: `${where} is held by another program.`,
      detail:
        `${text}\n\nAnother program (a serial monitor, a terminal such as screen/minicom, another IDE) has ${where} open. ` +
        'Close it or stop its monitor, then try again.',
      overridable: false,
    };
  }
  if (reason === 'permission' || (!reason && (links.some((l) => l.code === 'EACCES' || l.code === 'EPERM') || PERMISSION.test(all)))) {
    return {
      kind: 'permission',
      message: `No permission to open ${where}.`,
      detail: `${text}\n\nOn Linux add yourself to the "dialout" (or "uucp") group and log in again; on other systems check the driver and the port's permissions.`,
      overridable: false,
    };
  }
  if (reason === 'not-found' || (!reason && (links.some((l) => l.code === 'ENOENT') || MISSING.test(all)))) {
    return {
      kind: 'port-missing',
      message: `${where} was not found.`,
      detail: `${text}\n\nPlug the board in (or re-plug it: native-USB chips re-enumerate), then run "ESP Flasher: Select Port".`,
      overridable: false,
    };
  }
  return { kind: 'other', message: text, detail: '', overridable: false };
}
