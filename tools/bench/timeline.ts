/**
 * `npm run bench:timeline -- [esptool|ours] [fresh|identical|sector] [--rom]`: one run of a tool on a
 * virtual ESP32-C6 (timing model on, as in the bench), printing the chip's trace as a timeline:
 * each request's opcode, when the chip took it and answered, relative to the tool's start, and the
 * write span with its wire use (as `npm run bench` counts them).
 * For finding where the time of a whole command goes; not part of `npm run bench`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import '../../src/cli/virtual_ports';
import { Op, opName } from '../../src/core/protocol/opcodes';
import { startPtyChip } from '../../src/sim/pty_chip';
import type { TraceEvent } from '../../src/sim/virtual_chip';
import { sharedDir } from '../demo/demo';
import { buildCli, runTool, writeSpan, type Tool } from './bench_peers';
import { BENCH_APP } from './bench';
import { withSectorChanged } from './bench_compare';

async function main(): Promise<void> {
  const tool = (process.argv[2] ?? 'ours') as Tool;
  const what = process.argv[3] ?? 'fresh';
  const rom = process.argv.includes('--rom');
  const shared = sharedDir();
  if (tool === 'ours') buildCli();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esp-timeline-'));
  const image = new Uint8Array(fs.readFileSync(path.join(shared, 'corpus', BENCH_APP.set, BENCH_APP.file)));
  const file = path.join(dir, 'app.bin');
  fs.writeFileSync(file, image);
  const pty = await startPtyChip({ chip: BENCH_APP.chip, timing: true, stub: 'current', flashSize: 4 * 1024 * 1024 });
  const env = { ...process.env, XDG_CACHE_HOME: dir };
  try {
    const job = { port: pty.path, chip: BENCH_APP.chip, baud: 921600, files: [{ offset: 0x10000, file }], rom };
    if (what !== 'fresh') await runTool(tool, job, shared, env);
    if (what === 'sector') {
      fs.writeFileSync(file, withSectorChanged(image, 0x80000));
    }
    const trace: TraceEvent[] = [];
    const off = pty.chip.onTrace((e) => trace.push(e));
    const t0 = performance.now();
    const r = await runTool(tool, job, shared, env);
    off();
    console.log(`${tool} ${what}: ok=${r.ok} whole ${r.wholeS.toFixed(3)} s`);
    console.log(
      r.output
        .split('\n')
        .filter((l) => l.startsWith('T '))
        .join('\n'),
    );
    const sp = writeSpan(trace, 921600);
    if (sp) console.log(`span ${sp.seconds.toFixed(3)} s, wire ${(sp.wireFraction * 100).toFixed(2)} %, blocks ${sp.dataBlocks}`);
    const data = trace.filter((e) => e.op === Op.FLASH_DATA || e.op === Op.FLASH_DEFL_DATA);
    const gaps = data
      .slice(1)
      .map((e, i) => e.takenAt - data[i].repliedAt)
      .sort((a, b) => a - b);
    if (gaps.length) {
      const q = (f: number) => gaps[Math.floor(f * (gaps.length - 1))].toFixed(2);
      console.log(`${data.length} data blocks; reply → next block taken (ms): p10 ${q(0.1)} p50 ${q(0.5)} p90 ${q(0.9)} max ${q(1)}`);
    }
    let lastData = -1;
    for (let i = 0; i < trace.length; i++) {
      const e = trace[i];
      const name = e.op === undefined ? 'ack' : opName(e.op);
      const isData = e.op === Op.FLASH_DATA || e.op === Op.FLASH_DEFL_DATA || e.op === Op.FLASH_ENCRYPT_DATA;
      if (isData && trace[i + 1] && trace[i + 1].op === e.op && lastData >= 0) continue;
      if (isData) lastData = i;
      console.log(`${((e.takenAt - t0) / 1000).toFixed(3).padStart(7)} ${((e.repliedAt - t0) / 1000).toFixed(3).padStart(7)}  ${name}  in=${e.bytesIn}`);
    }
  } finally {
    await pty.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
