/**
 * An ordered queue of items released at given times (one timer for the head). With no timing
 * the items are released synchronously. Used for the two directions of the modelled UART.
 */

export class DelayLine<T> {
  private queue: { at: number; item: T }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly release: (item: T) => void) {}

  /** Release `item` at `at` (performance.now() ms); items leave in push order. */
  push(at: number, item: T): void {
    if (this.closed) return;
    if (this.queue.length === 0 && at <= performance.now()) {
      this.release(item);
      return;
    }
    this.queue.push({ at, item });
    this.arm();
  }

  /** Drop everything not yet released. */
  clear(): void {
    this.queue = [];
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  close(): void {
    this.closed = true;
    this.clear();
  }

  get pending(): number {
    return this.queue.length;
  }

  private arm(): void {
    if (this.timer || this.queue.length === 0) return;
    const wait = Math.max(0, this.queue[0].at - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.drain();
    }, wait);
  }

  private drain(): void {
    const now = performance.now();
    while (this.queue.length > 0 && this.queue[0].at <= now + 0.5) {
      const { item } = this.queue.shift()!;
      this.release(item);
      if (this.closed) return;
    }
    this.arm();
  }
}
