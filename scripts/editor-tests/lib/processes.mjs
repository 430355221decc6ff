// Child processes in their own process group (so helpers die with them), free ports, and waits with deadlines.
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Every process group started here and not yet gone: killAllGroups() stops them on a deadline or signal. */
const liveGroups = new Set();

/**
 * Starts `command args` as the leader of a new process group. Output lines go to `onLine(stream, line)`.
 * Returns { child, exited } where `exited` resolves with { code, signal } when it ends.
 */
export function spawnGroup(command, args, { env, cwd, onLine } = {}) {
  const child = spawn(command, args, { cwd, env: env ?? process.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const name of ['stdout', 'stderr']) {
    let pending = '';
    child[name].setEncoding('utf8');
    child[name].on('data', (chunk) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) onLine?.(name, line);
    });
    child[name].on('end', () => {
      if (pending) onLine?.(name, pending);
    });
  }
  liveGroups.add(child);
  const exited = new Promise((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, exited };
}

function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to the whole group, then SIGKILL whatever is left after `graceMs`. Resolves when the group is gone. */
export async function killGroup(child, graceMs = 1500) {
  const pid = child?.pid;
  liveGroups.delete(child);
  if (!pid || !groupAlive(pid)) return;
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    /* already gone */
  }
  const until = Date.now() + graceMs;
  while (groupAlive(pid) && Date.now() < until) await sleep(50);
  if (groupAlive(pid)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    const hard = Date.now() + 2000;
    while (groupAlive(pid) && Date.now() < hard) await sleep(50);
  }
}

/** Stops every process group spawnGroup() started that is still there. */
export async function killAllGroups() {
  await Promise.all([...liveGroups].map((child) => killGroup(child)));
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `url` until it answers with any HTTP status; rejects after `timeoutMs` naming the url and `what`. */
export async function waitForHttp(url, timeoutMs, what) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const request = http.get(url, { timeout: 1000 }, (response) => {
        response.resume();
        resolve(true);
      });
      request.on('error', () => resolve(false));
      request.on('timeout', () => {
        request.destroy();
        resolve(false);
      });
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`${what} did not answer on ${url} within ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}

/** Rejects with `message` after `ms` unless `promise` settles first; the timer never keeps the process alive. */
export function withTimeout(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref?.();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
