/** Processes below this (extension host) process — children, grandchildren, … — by command name, from /proc (Linux). */
import * as fs from 'fs';

function processTable(): Array<{ pid: number; ppid: number; comm: string }> {
  const table = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid …"; comm may hold spaces and parentheses, so split after the last ')'
    const close = stat.lastIndexOf(')');
    table.push({ pid: Number(entry), comm: stat.slice(stat.indexOf('(') + 1, close), ppid: Number(stat.slice(close + 2).split(' ')[1]) });
  }
  return table;
}

export function descendantProcesses(command: string, root = process.pid): number[] {
  const table = processTable();
  const below = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of table) {
      if (!below.has(p.pid) && below.has(p.ppid)) {
        below.add(p.pid);
        grew = true;
      }
    }
  }
  return table.filter((p) => p.pid !== root && below.has(p.pid) && p.comm === command).map((p) => p.pid);
}
