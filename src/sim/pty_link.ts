/**
 * A pair of linked pseudo-terminals made by socat: bytes written to one end come out of the
 * other unchanged (both ends raw, no echo, no XON/XOFF, no CR/LF translation).
 *
 * socat runs under a tiny shell guard that kills it as soon as this process goes away (its
 * stdin pipe closes), so even a crashed test run leaves no socat behind; `close()` and a
 * process 'exit' handler stop it deliberately as well.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tty from 'node:tty';

export interface PtyPair {
  /** Symlink to the chip-side pty (open it yourself). */
  chipPath: string;
  /** Symlink to the host-side pty (give this to the host). */
  hostPath: string;
  /** The /dev/pts/N devices behind the links (chip, host). */
  chipPts: string;
  hostPts: string;
  socatPid: number;
  /** Stop socat and remove the links. Safe to call twice. */
  close(): Promise<void>;
}

export const SOCAT_START_TIMEOUT_MS = 5000;
const SOCAT_STOP_TIMEOUT_MS = 2000;

const live = new Set<{ guard: ChildProcess; socatPid?: number }>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const p of live) {
      if (p.socatPid) tryKill(p.socatPid, 'SIGTERM');
      if (p.guard.pid) tryKill(p.guard.pid, 'SIGTERM');
    }
  });
}

function tryKill(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/**
 * Start socat with two linked ptys under a fresh temporary directory. `waitHost`: socat
 * starts moving bytes only once the host has opened its end, so what the chip writes before
 * that waits in the pty instead of being dropped (a device that just came back).
 */
export async function openPtyPair(socatPath = 'socat', opts: { waitHost?: boolean } = {}): Promise<PtyPair> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esp-virtual-chip-'));
  const chipPath = path.join(dir, 'chip');
  const hostPath = path.join(dir, 'host');
  const a1 = `pty,raw,echo=0,link=${chipPath}`;
  const a2 = `pty,raw,echo=0,link=${hostPath}${opts.waitHost ? ',wait-slave' : ''}`;
  // The guard shell: print socat's pid, wait for stdin EOF (our exit or close()), kill socat,
  // remove the link directory.
  const script =
    'socat_bin="$1"; link_dir="$2"; shift 2; "$socat_bin" -d -d "$@" & pid=$!; echo "socat-pid $pid"; ' +
    'read _ignored; kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$link_dir"; exit 0';
  const guard = spawn('sh', ['-c', script, 'pty-guard', socatPath, dir, a1, a2], { stdio: ['pipe', 'pipe', 'pipe'] });
  const entry: { guard: ChildProcess; socatPid?: number } = { guard };
  live.add(entry);
  installExitHook();

  let stderr = '';
  let stdout = '';
  const ptys: string[] = [];
  let exited = false;
  const exitPromise = new Promise<void>((resolve) =>
    guard.once('exit', () => {
      exited = true;
      live.delete(entry);
      resolve();
    }),
  );

  const cleanupDir = (): void => {
    fs.rmSync(dir, { recursive: true, force: true });
  };

  const stop = async (): Promise<void> => {
    if (!exited) {
      guard.stdin?.end();
      const timer = setTimeout(() => {
        if (entry.socatPid) tryKill(entry.socatPid, 'SIGKILL');
        if (guard.pid) tryKill(guard.pid, 'SIGKILL');
      }, SOCAT_STOP_TIMEOUT_MS);
      await exitPromise;
      clearTimeout(timer);
    }
    cleanupDir();
  };

  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`socat did not start its pty pair within ${SOCAT_START_TIMEOUT_MS} ms. socat said: ${stderr.trim() || '(nothing)'}`)),
        SOCAT_START_TIMEOUT_MS,
      );
      const check = (): void => {
        const pid = /socat-pid (\d+)/.exec(stdout);
        if (pid) entry.socatPid = Number(pid[1]);
        for (const m of stderr.matchAll(/PTY is (\/dev\/[^\s]+)/g)) if (!ptys.includes(m[1])) ptys.push(m[1]);
        const started = opts.waitHost ? fs.existsSync(hostPath) && fs.existsSync(chipPath) : /starting data transfer loop/.test(stderr);
        if (opts.waitHost && !started && ptys.length >= 2 && !exited) setTimeout(check, 10);
        if (started && ptys.length >= 2 && entry.socatPid) {
          clearTimeout(timer);
          resolve();
        }
      };
      guard.stdout!.on('data', (d: Buffer) => {
        stdout += d.toString();
        check();
      });
      guard.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        check();
      });
      guard.once('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`Cannot start the pseudo-terminal helper (sh + socat): ${e.message}`));
      });
      void exitPromise.then(() => {
        clearTimeout(timer);
        const missing = /not found|No such file/i.test(stderr);
        reject(
          new Error(
            missing
              ? `socat is not installed (needed for virtual serial ports): install it, e.g. "apt-get install socat" or "brew install socat". ${stderr.trim()}`
              : `socat exited before the pty pair was ready: ${stderr.trim() || '(no output)'}`,
          ),
        );
      });
    });
  } catch (e) {
    await stop();
    throw e;
  }
  // Keep draining socat's output so its pipes never fill up.
  guard.stderr!.on('data', () => undefined);
  guard.stdout!.on('data', () => undefined);

  let closing: Promise<void> | undefined;
  return {
    chipPath,
    hostPath,
    chipPts: ptys[0],
    hostPts: ptys[1],
    socatPid: entry.socatPid!,
    close: () => (closing ??= stop()),
  };
}

/** PIDs of socat processes started here and still running (for tests and diagnostics). */
export function liveSocatPids(): number[] {
  return [...live].map((e) => e.socatPid).filter((p): p is number => p !== undefined);
}

/** One end of the pty pair opened with Node's own tty streams (event-loop I/O, no thread pool). */
export interface PtyEndpoint {
  write(bytes: Uint8Array): void;
  onData(listener: (bytes: Uint8Array) => void): void;
  /** Called once when the other side goes away (socat stopped). */
  onClose(listener: () => void): void;
  readonly isOpen: boolean;
  close(): Promise<void>;
}

/**
 * Open a pty for raw byte I/O. socat already made it raw (no echo, no XON/XOFF, no CR/LF
 * translation); the mode is deliberately not touched here (Node's setRawMode would turn on
 * ONLCR output translation). Reads and writes run on the event loop, so a busy libuv thread
 * pool elsewhere in the process cannot stall the chip.
 */
export function openPtyEndpoint(ptyPath: string): PtyEndpoint {
  const flags = fs.constants.O_RDWR | fs.constants.O_NOCTTY;
  const rfd = fs.openSync(ptyPath, flags);
  let wfd: number;
  try {
    wfd = fs.openSync(ptyPath, flags);
  } catch (e) {
    fs.closeSync(rfd);
    throw e;
  }
  const input = new tty.ReadStream(rfd);
  const output = new tty.WriteStream(wfd);
  // tty.WriteStream makes its writes blocking (meant for a console). Here the reader of the
  // other end is the host in this same process: a blocking write into a full pty would stop
  // the event loop that has to drain it (deadlock on long bursts such as READ_FLASH).
  (output as unknown as { _handle?: { setBlocking?: (b: boolean) => void } })._handle?.setBlocking?.(false);
  let open = true;
  const closeListeners: (() => void)[] = [];
  const lost = (): void => {
    if (!open) return;
    open = false;
    input.destroy();
    output.destroy();
    for (const l of closeListeners) l();
  };
  input.on('error', lost); // EIO once socat is gone
  output.on('error', lost);
  input.on('end', lost);
  return {
    write(bytes) {
      if (open) output.write(Buffer.from(bytes));
    },
    onData(listener) {
      input.on('data', (d: Buffer) => listener(new Uint8Array(d)));
    },
    onClose(listener) {
      closeListeners.push(listener);
    },
    get isOpen() {
      return open;
    },
    async close() {
      if (!open) return;
      open = false;
      await Promise.all([
        new Promise<void>((r) => (input.destroyed ? r() : input.once('close', () => r()).destroy())),
        new Promise<void>((r) => (output.destroyed ? r() : output.once('close', () => r()).end(() => output.destroy()))),
      ]);
    },
  };
}
