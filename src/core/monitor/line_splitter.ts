/**
 * Splits the chip's byte stream into text lines (\n, \r\n or a lone \r end a line), decoding
 * UTF-8 across chunk boundaries. A line still open when the stream goes quiet can be taken as
 * a fragment (prompts without a newline).
 */
export interface SplitLine {
  text: string;
  /** When its first byte arrived (ms, the clock given to push). */
  startedAt: number;
}

export class LineSplitter {
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });
  private pending = '';
  private pendingSince = 0;
  private lastWasCr = false;

  /** Bytes in; the complete lines out. */
  push(bytes: Uint8Array, now: number): SplitLine[] {
    const text = this.decoder.decode(bytes, { stream: true });
    const out: SplitLine[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      if (c === 10 && this.lastWasCr && i === start && this.pending === '') {
        // \n of a \r\n pair whose \r ended the previous line.
        this.lastWasCr = false;
        start = i + 1;
        continue;
      }
      out.push({ text: this.pending + text.slice(start, i), startedAt: this.pending ? this.pendingSince : now });
      this.pending = '';
      this.lastWasCr = c === 13;
      start = i + 1;
    }
    if (start < text.length) {
      if (this.pending === '') this.pendingSince = now;
      this.pending += text.slice(start);
      this.lastWasCr = false;
    }
    return out;
  }

  /** The unfinished line, if any, for how long it has waited. */
  get fragment(): { text: string; since: number } | undefined {
    return this.pending ? { text: this.pending, since: this.pendingSince } : undefined;
  }

  /** Take the unfinished line (it is shown as is; later bytes start a new line). */
  takeFragment(): string {
    const t = this.pending;
    this.pending = '';
    return t;
  }

  reset(): void {
    this.pending = '';
    this.lastWasCr = false;
  }
}
