/** Upload the flasher stub to RAM, wait for "OHAI", and find out which stub generation runs (§2.7, §4.3). */
import { CommandFailedError } from './loader_errors';
import type { LoaderSession, StubGeneration } from './loader_session';
import { Op, RAM_BLOCK } from './opcodes';
import { u32le } from './packet';
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

export async function uploadStub(session: LoaderSession, stub: StubImage, ramBlock = RAM_BLOCK): Promise<void> {
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
  throw new Error(
    `The flasher stub (${stub.file}) did not start: no "OHAI" within ${STUB_GREETING_TIMEOUT_MS / 1000} s after MEM_END. ` +
      `Secure Boot or Secure Download Mode can forbid running code from RAM; flash without the stub (--no-stub).`,
  );
}

/**
 * Ask the running stub whether it takes the 5th FLASH_BEGIN word: a 20-byte FLASH_BEGIN
 * {0,0,0x4000,0,0} answered 0xC000 ("bad data length") means a legacy stub older than v1.10 (§4.3).
 */
export async function detectStubGeneration(session: LoaderSession): Promise<StubGeneration> {
  try {
    await session.conn.command(Op.FLASH_BEGIN, u32le(0, 0, 0x4000, 0, 0));
    return 'current';
  } catch (e) {
    if (e instanceof CommandFailedError && e.code === 0xc000) return 'legacy';
    throw e;
  }
}
