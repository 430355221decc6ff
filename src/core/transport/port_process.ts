/**
 * Which other program holds a serial port (Linux): the process with the flock() lock on the
 * device (what node-serialport, pyserial with exclusive=True and esptool take; /proc/locks),
 * else a process with the device open (/proc/<pid>/fd). Named by pid and command line so a
 * "busy" message can say who to stop. Other systems: undefined (the message stays generic).
 */
import * as fs from 'node:fs';

export interface PortProcess {
  pid: number;
  /** The command line, shortened ("node esp-flasher monitor --port /dev/ttyUSB0"). */
  command: string;
  /** It holds the port's lock (not only an open file). */
  locked: boolean;
}

function commandOf(pid: number): string | undefined {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const words = raw.split('\0').filter(Boolean);
    if (!words.length) return undefined;
    const shown = words.map((w, i) => (i === 0 || /\.(m?js|ts)$/.test(w) ? w.replace(/^.*\//, '') : w)).join(' ');
    return shown.length > 120 ? `${shown.slice(0, 117)}…` : shown;
  } catch {
    return undefined;
  }
}

/** The other process holding `port`, if one can be found. */
export function portProcess(port: string): PortProcess | undefined {
  if (process.platform !== 'linux') return undefined;
  let st: fs.Stats;
  let real: string;
  try {
    real = fs.realpathSync(port);
    st = fs.statSync(real);
  } catch {
    return undefined;
  }
  // /proc/locks: "1: FLOCK  ADVISORY  WRITE 1234 00:19:5 0 EOF" (major:minor in hex, inode).
  try {
    for (const line of fs.readFileSync('/proc/locks', 'utf8').split('\n')) {
      const m = /^\d+:\s+FLOCK\s+\S+\s+\S+\s+(\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/.exec(line);
      if (!m) continue;
      const pid = Number(m[1]);
      const dev = (parseInt(m[2], 16) << 8) | parseInt(m[3], 16);
      if (Number(m[4]) !== st.ino || pid === process.pid) continue;
      // st.dev packs major/minor as the kernel's new_encode_dev; for small numbers this is (major << 8) | minor.
      if (dev !== st.dev) continue;
      const command = commandOf(pid);
      if (command) return { pid, command, locked: true };
    }
  } catch {
    /* no /proc/locks */
  }
  try {
    for (const d of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
      let fds: string[];
      try {
        fds = fs.readdirSync(`/proc/${d}/fd`);
      } catch {
        continue;
      }
      for (const fd of fds) {
        let target: string;
        try {
          target = fs.readlinkSync(`/proc/${d}/fd/${fd}`);
        } catch {
          continue;
        }
        if (target !== real) continue;
        const command = commandOf(Number(d));
        if (command && !/^socat\b/.test(command)) return { pid: Number(d), command, locked: false };
      }
    }
  } catch {
    /* no /proc */
  }
  return undefined;
}
