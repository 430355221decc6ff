/**
 * Where a decoded crash frame in the monitor terminal links to: "--- [role ]0x…: fn at file:line"
 * (the monitor's and `esp-flasher decode`'s format) → the "file:line" part and its target.
 * No vscode here (unit-tested).
 */
export interface FrameLink {
  /** Offset and length of "file:line" in the line. */
  startIndex: number;
  length: number;
  file: string;
  line: number;
}

const FRAME = /^--- (?:\S+ )?0x[0-9a-fA-F]{8}: \S+ at (.+):(\d+)$/;

export function frameLinkIn(text: string): FrameLink | undefined {
  const line = text.replace(/\s+$/, '');
  const m = FRAME.exec(line);
  if (!m) return undefined;
  const startIndex = line.lastIndexOf(' at ') + 4;
  return { startIndex, length: line.length - startIndex, file: m[1], line: Number(m[2]) };
}
