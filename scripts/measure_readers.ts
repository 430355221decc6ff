/**
 * How long readProject() takes on each set of ../shared/corpus (reader + checkPlan, files read
 * from disk each time). Prints the first (cold) read in this process and the median of 20
 * warm reads per set. Run: npx tsx scripts/measure_readers.ts
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { readProject } from '../src/core/project/read_project';

const corpus = path.resolve(__dirname, '..', '../shared/corpus');

async function main(): Promise<void> {
  if (!existsSync(corpus)) {
    console.log(`shared corpus not present (${corpus}): nothing to measure`);
    return;
  }
  const sets = readdirSync(corpus)
    .filter((d) => statSync(path.join(corpus, d)).isDirectory())
    .sort();
  console.log('set'.padEnd(40) + 'segments  cold ms  warm median ms  warm max ms');
  let worstCold = 0;
  let worstWarm = 0;
  for (const set of sets) {
    const dir = path.join(corpus, set);
    let t = performance.now();
    const first = await readProject(dir);
    const cold = performance.now() - t;
    const warm: number[] = [];
    for (let i = 0; i < 20; i++) {
      t = performance.now();
      await readProject(dir);
      warm.push(performance.now() - t);
    }
    warm.sort((a, b) => a - b);
    const median = warm[warm.length >> 1];
    worstCold = Math.max(worstCold, cold);
    worstWarm = Math.max(worstWarm, median);
    console.log(
      `${set.padEnd(40)}${String(first.plan.segments.length).padStart(8)}  ${cold.toFixed(1).padStart(7)}  ${median.toFixed(1).padStart(14)}  ${warm[warm.length - 1].toFixed(1).padStart(11)}`,
    );
  }
  console.log(`worst cold read ${worstCold.toFixed(1)} ms (first set includes module warm-up); worst warm median ${worstWarm.toFixed(1)} ms`);
}

void main();
