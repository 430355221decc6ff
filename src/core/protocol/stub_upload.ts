/** Upload the flasher stub to RAM and wait for "OHAI" (§2.7). What it can do comes from its identity (stub_capabilities.ts). */
import type { LoaderTimeoutError } from './loader_errors';
import type { LoaderSession } from './loader_session';
import { RAM_BLOCK } from './opcodes';
import type { StubImage } from './stub_images';
import { STUB_GREETING_TIMEOUT_MS } from './timeouts';

const OHAI = [0x4f, 0x48, 0x41, 0x49];

async function loadToRam(session: LoaderSession, bytes: Uint8Array, addr: number, blockSize: number): Promise<void> {
  const blocks = Math.ceil(bytes.length / blockSize);
  await session.memBegin(bytes.length, blocks, blockSize, addr);
  for (let seq = 0; seq < blocks; seq++) {
    await session.memData(seq, bytes.subarray(seq * blockSize, (seq + 1) * blockSize));
  }
}

/** What the chip's eFuses said, so a failed start is explained by what is actually there. */
export interface StubStartContext {
  secureBoot: boolean;
  secureDownloadMode: boolean;
}

/**
 * The stub was sent but does not run: no greeting, or silence right after it. The advice names
 * no face's option: the CLI adds its flags, the editor its setting (by this class's name).
 */
export class StubStartError extends Error {
  constructor(
    readonly stubFile: string,
    readonly reason: 'no-greeting' | 'silent-after-greeting',
    /** What happened and why, without advice (for a warning when the job carries on without it). */
    readonly detail: string,
    readonly advice = 'Flash without the stub (through the ROM loader), or use another stub folder.',
  ) {
    super(`${detail} ${advice}`);
    this.name = 'StubStartError';
  }
}

function noGreeting(stub: { file: string }, ctx?: StubStartContext): StubStartError {
  const head = `The flasher stub (${stub.file}) did not start: no "OHAI" within ${STUB_GREETING_TIMEOUT_MS / 1000} s after MEM_END.`;
  if (ctx?.secureBoot || ctx?.secureDownloadMode) {
    const what = ctx.secureDownloadMode ? 'Secure Download Mode' : 'Secure Boot';
    return new StubStartError(
      stub.file,
      'no-greeting',
      `${head} This chip has ${what} on, which can forbid running code from RAM.`,
      'Flash without the stub (through the ROM loader).',
    );
  }
  const why = ctx
    ? ' The eFuses just read show neither Secure Boot nor Secure Download Mode, so the stub itself did not run or could not answer (a stub for another chip or revision, a damaged file in the stub folder, or a UART it cannot drive).'
    : '';
  return new StubStartError(stub.file, 'no-greeting', `${head}${why}`);
}

export async function uploadStub(session: LoaderSession, stub: Omit<StubImage, 'identity'>, ramBlock = RAM_BLOCK, ctx?: StubStartContext): Promise<void> {
  await loadToRam(session, stub.text, stub.textStart, ramBlock);
  if (stub.data && stub.dataStart !== undefined) await loadToRam(session, stub.data, stub.dataStart, ramBlock);
  await session.memEnd(stub.entry);
  const deadline = Date.now() + STUB_GREETING_TIMEOUT_MS;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    let frame: Uint8Array;
    try {
      frame = await session.conn.readFrame(left, 'the stub greeting "OHAI"');
    } catch {
      break;
    }
    if (frame.length === 4 && frame.every((b, i) => b === OHAI[i])) {
      session.isStub = true;
      return;
    }
  }
  throw noGreeting(stub, ctx);
}

/** A stub that greeted but does not answer its first command (a timeout) is reported as not started. */
export function stubSilentError(stub: { file: string }, e: LoaderTimeoutError): StubStartError {
  return new StubStartError(
    stub.file,
    'silent-after-greeting',
    `The flasher stub (${stub.file}) said "OHAI" but did not answer its first command: ${e.message.replace(/\.$/, '')}.`,
  );
}
