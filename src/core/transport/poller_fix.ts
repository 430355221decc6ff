/**
 * Workaround for a lost-wakeup bug in @serialport/bindings-cpp 13 on Linux/macOS.
 *
 * Its native Poller keeps a mask of the events it was asked for, but `poll(flag)` restarts
 * libuv's poll with `flag` alone. When a write hits EAGAIN and waits for "writable", the next
 * read that waits for "readable" replaces that subscription, and the write never resumes (and
 * the other way round). Seen here as writes through a pseudo-terminal stalling for good under
 * load. The fix: whenever the JS side asks the native poller for an event, also ask for every
 * event that still has a waiting listener. Extra wake-ups are harmless: the reader and writer
 * simply retry their syscall.
 */
const UV_READABLE = 0b0001;
const UV_WRITABLE = 0b0010;
const UV_DISCONNECT = 0b0100;

interface JsPoller {
  poll(events: number): void;
  listenerCount(event: string): number;
  __espFlasherPatched?: boolean;
}

/** Patch the poller of an open serialport binding port; a no-op where there is none (Windows). */
export function fixPollerLostWakeups(bindingPort: unknown): boolean {
  const js = (bindingPort as { poller?: JsPoller } | undefined)?.poller;
  if (!js || typeof js.poll !== 'function' || js.__espFlasherPatched) return false;
  const original = js.poll.bind(js);
  js.poll = (events: number) => {
    let wanted = events;
    if (js.listenerCount('readable') > 0) wanted |= UV_READABLE;
    if (js.listenerCount('writable') > 0) wanted |= UV_WRITABLE;
    if (js.listenerCount('disconnect') > 0) wanted |= UV_DISCONNECT;
    original(wanted);
  };
  js.__espFlasherPatched = true;
  return true;
}
