/** binutils addr2line and a C compiler for the decoding tests, when the machine has them. */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const SHARED_ELF = path.resolve(__dirname, '../../..', '../shared/images/esp32-bootloader.elf');

export function addr2lineInstalled(): boolean {
  return spawnSync('addr2line', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** addr2line's answer per address: innermost file:line and outermost function (-f -i). */
export function addr2line(elf: string, addrs: number[]): { file: string; line: number | undefined; outerFunc: string }[] {
  const out = execFileSync('addr2line', ['-f', '-i', '-a', '-e', elf, ...addrs.map((a) => '0x' + a.toString(16))], { maxBuffer: 1 << 26 })
    .toString()
    .split('\n');
  const res: { file: string; line: number | undefined; outerFunc: string }[] = [];
  let i = 0;
  while (i < out.length && res.length < addrs.length) {
    if (!/^0x[0-9a-f]+$/.test(out[i])) {
      i++;
      continue;
    }
    i++;
    const frames: { func: string; loc: string }[] = [];
    while (i + 1 < out.length && !/^0x[0-9a-f]+$/.test(out[i]) && out[i] !== '') {
      frames.push({ func: out[i], loc: out[i + 1].replace(/ \(discriminator \d+\)$/, '') });
      i += 2;
    }
    const m = /^(.*):(\d+|\?)$/.exec(frames[0]?.loc ?? '??:0');
    res.push({ file: m?.[1] ?? '??', line: m && m[2] !== '?' && m[2] !== '0' ? Number(m[2]) : undefined, outerFunc: frames[frames.length - 1]?.func ?? '??' });
  }
  return res;
}

/** A 32-bit x86 ELF with DWARF `version` line tables compiled from a small C program, or undefined. */
export function compileDwarfElf(version: 4 | 5): string | undefined {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dwarf-elf-'));
  fs.writeFileSync(path.join(dir, 'inl.h'), 'static inline int helper(int x) { return x * 7 - 1; }\n');
  fs.mkdirSync(path.join(dir, 'sub'));
  fs.writeFileSync(
    path.join(dir, 'sub', 'main.c'),
    '#include "../inl.h"\nstatic int g(int x) { return helper(x) + 1; }\nint f(int x) {\n  int s = 0;\n  for (int i = 0; i < x; i++) s += g(i);\n  return s;\n}\nint main(void) { return f(2); }\n',
  );
  const r = spawnSync('gcc', ['-m32', '-O2', `-gdwarf-${version}`, '-nostdlib', '-static', '-Wl,-e,main', 'sub/main.c', '-o', 'prog.elf'], { cwd: dir, stdio: 'pipe' });
  return r.status === 0 ? path.join(dir, 'prog.elf') : undefined;
}
