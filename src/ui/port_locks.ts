/**
 * One job at a time per port: a second request for a busy port is refused politely instead
 * of fighting over the device. No vscode here.
 */

export interface PortJob {
  port: string;
  operation: string;
  startedAt: number;
}

export class PortLocks {
  private readonly jobs = new Map<string, PortJob>();

  /** Key ports case-insensitively on Windows-style names (COM3 = com3); paths as they are. */
  private static key(port: string): string {
    return /^com\d+$/i.test(port) ? port.toUpperCase() : port;
  }

  busy(port: string): PortJob | undefined {
    return this.jobs.get(PortLocks.key(port));
  }

  /** Returns a release function, or undefined when the port already has a job. */
  tryAcquire(port: string, operation: string, now = Date.now()): (() => void) | undefined {
    const key = PortLocks.key(port);
    if (this.jobs.has(key)) return undefined;
    const job = { port, operation, startedAt: now };
    this.jobs.set(key, job);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (this.jobs.get(key) === job) this.jobs.delete(key);
    };
  }

  /** The polite refusal shown for a second request. */
  static refusal(job: PortJob, wanted: string): string {
    return `${job.port} is busy: "${job.operation}" is still running there. Wait for it to finish (or cancel it) before "${wanted}".`;
  }

  get active(): PortJob[] {
    return [...this.jobs.values()];
  }
}
