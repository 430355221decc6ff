/**
 * Turns anything thrown into one readable paragraph for the terminal: the message, the
 * causes it wraps, and (only with --debug) the stack trace.
 */
import { UsageError } from './args';

function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  try {
    return JSON.stringify(e);
  } catch {
    return String(e);
  }
}

/** Node system errors carry a code and a path; say which file and what went wrong. */
function systemErrorText(e: NodeJS.ErrnoException): string | undefined {
  if (!e.code || !e.path) return undefined;
  switch (e.code) {
    case 'ENOENT':
      return `${e.path}: no such file or directory. Check the path (relative paths are taken from the current folder).`;
    case 'EACCES':
    case 'EPERM':
      return `${e.path}: permission denied. On Linux, add yourself to the "dialout" group for serial ports, or check the file's permissions.`;
    case 'EISDIR':
      return `${e.path} is a folder; a file was expected here.`;
    case 'ENOTDIR':
      return `${e.path}: a part of this path is not a folder.`;
    case 'EBUSY':
      return `${e.path} is busy: another program (a serial monitor?) has it open. Close it and retry.`;
    default:
      return undefined;
  }
}

/**
 * The CLI's own words for what the core says without naming any face's options: by the error's
 * class (its name, also carried by FlashResult.errorClass), never by its message text.
 */
export function cliAdvice(errorClass: string | undefined): string | undefined {
  switch (errorClass) {
    case 'StubStartError':
      return '(--no-stub flashes through the ROM loader; --stub-dir DIR uses another stub folder.)';
    default:
      return undefined;
  }
}

export function formatError(e: unknown, debug = false): string {
  if (e instanceof UsageError) return e.message;
  const sys = e instanceof Error ? systemErrorText(e as NodeJS.ErrnoException) : undefined;
  const parts = [sys ?? messageOf(e)];
  let cause = e instanceof Error ? (e as Error & { cause?: unknown }).cause : undefined;
  const classes = e instanceof Error ? [e.name] : [];
  for (let depth = 0; cause !== undefined && depth < 4; depth++) {
    const text = messageOf(cause);
    if (!parts.some((p) => p.includes(text))) parts.push(`(cause: ${text})`);
    if (cause instanceof Error) classes.push(cause.name);
    cause = cause instanceof Error ? (cause as Error & { cause?: unknown }).cause : undefined;
  }
  const advice = classes.map(cliAdvice).find(Boolean);
  if (advice) parts.push(advice);
  let text = 'Error: ' + parts.join(' ');
  if (debug && e instanceof Error && e.stack) text += '\n' + e.stack;
  else if (!debug) text += ' (run with --debug for details)';
  return text;
}
