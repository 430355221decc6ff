/** Polls `probe` until it returns a value other than undefined/false; fails after `timeoutMs` saying what it waited for. */
export async function waitFor<T>(probe: () => T | undefined | false, timeoutMs: number, what: string, everyMs = 10): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
