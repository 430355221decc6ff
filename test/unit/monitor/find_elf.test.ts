import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { appImageElfSha, findAppElf } from '../../../src/core/monitor/find_elf';
import type { FlashPlan, PlanSegment } from '../../../src/core/plan/flash_plan';
import { readProject } from '../../../src/core/project/read_project';
import { writeSampleIdfBuildDetailed } from '../../fixtures/sample_build';

const ELF_HEAD = Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0]);

function plan(segments: Partial<PlanSegment>[], inputs?: string[]): FlashPlan {
  return {
    settings: { mode: 'keep', size: 'keep', freq: 'keep' } as unknown as FlashPlan['settings'],
    segments: segments.map((s) => ({ name: 'app', offset: 0x10000, bytes: new Uint8Array(0), encrypt: false, ...s })),
    inputs,
  };
}

describe('finding the app ELF for crash decoding', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'find-elf-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, bytes: Uint8Array = ELF_HEAD): string => {
    const f = path.join(dir, name);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, bytes);
    return f;
  };

  it('ESP-IDF: build/<app>.elf beside build/<app>.bin (read from a real build folder)', async () => {
    const build = await writeSampleIdfBuildDetailed(path.join(dir, 'idf'), { chip: 'esp32c3', projectName: 'blink' });
    const p = (await readProject(build.buildDir)).plan;
    assert.match((findAppElf(p) as { reason: string }).reason, /^no ELF beside .*blink\.bin \(looked for blink\.elf\)$/);
    fs.writeFileSync(path.join(build.buildDir, 'blink.elf'), ELF_HEAD);
    assert.deepEqual(findAppElf(p), { file: path.join(build.buildDir, 'blink.elf') });
  });

  it('PlatformIO: firmware.elf beside firmware.bin (the app found by its partition when it has no role)', () => {
    const bin = file('.pio/build/esp32dev/firmware.bin', new Uint8Array(4));
    const elf = file('.pio/build/esp32dev/firmware.elf');
    const p = plan([{ name: 'firmware', file: bin, partition: { type: 0 } as PlanSegment['partition'] }]);
    assert.deepEqual(findAppElf(p), { file: elf });
  });

  it('Rust: the cargo ELF the app image was made from; ESP-IDF project_description.json "app_elf"', () => {
    const cargo = file('target/xtensa-esp32-none-elf/release/blinky');
    assert.deepEqual(findAppElf(plan([{ role: 'app', file: cargo }])), { file: cargo });
    const bin = file('build/renamed.bin', new Uint8Array(4));
    const elf = file('build/elsewhere/app-real.elf');
    file('build/project_description.json', new TextEncoder().encode(JSON.stringify({ app_elf: 'elsewhere/app-real.elf' })));
    assert.deepEqual(findAppElf(plan([{ role: 'app', file: bin }])), { file: elf });
  });

  it('a file named .elf that is not an ELF is not taken; no app image or no file says why', () => {
    const bin = file('build/app.bin', new Uint8Array(4));
    file('build/app.elf', new TextEncoder().encode('not an elf'));
    assert.match((findAppElf(plan([{ role: 'app', file: bin }])) as { reason: string }).reason, /no ELF beside .*app\.bin/);
    assert.deepEqual(findAppElf(plan([{ name: 'storage', offset: 0x110000 }])), { reason: 'the plan has no app image to look for an ELF beside' });
    assert.match((findAppElf(plan([{ role: 'app' }])) as { reason: string }).reason, /does not come from a file/);
  });

  it("the app image's esp_app_desc ELF SHA-256 (what the app prints at boot)", async () => {
    const build = await writeSampleIdfBuildDetailed(path.join(dir, 'idf2'), { chip: 'esp32', projectName: 'desc' });
    const p = (await readProject(build.buildDir)).plan;
    const sha = appImageElfSha(p);
    assert.ok(sha && /^[0-9a-f]{64}$/.test(sha.sha256) && sha.image.endsWith('desc.bin'), JSON.stringify(sha));
    assert.equal(appImageElfSha(plan([{ role: 'app', bytes: new Uint8Array(64) }])), undefined, 'not an image: none');
  });
});
