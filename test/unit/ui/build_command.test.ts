import assert from 'node:assert/strict';
import { buildCommand } from '../../../src/ui/build_command';
import type { ProjectView } from '../../../src/ui/plan_rows';

const view = (kind: string, buildDir: string): ProjectView => ({
  kind,
  buildDir,
  plan: { settings: { mode: 'dio', size: '4MB', freq: '40m' }, segments: [] } as never,
  problems: [],
  looked: [],
});
const none = () => false;

describe('ui/build_command', () => {
  it('ESP-IDF: idf.py build in the project folder (with -B for another build folder)', () => {
    assert.deepEqual(buildCommand(view('esp-idf', '/p/build'), '/p', none), { tool: 'idf.py', command: 'idf.py', args: ['build'], cwd: '/p', text: 'idf.py build' });
    assert.equal(buildCommand(view('esp-idf', '/p/out'), '/p', none)?.text, 'idf.py -B /p/out build');
  });

  it('PlatformIO: pio run -e <env> from .pio/build/<env>', () => {
    const c = buildCommand(view('platformio', '/w/proj/.pio/build/esp32dev'), '/w', none)!;
    assert.deepEqual([c.text, c.cwd], ['pio run -e esp32dev', '/w/proj']);
  });

  it('cargo: the build folder’s profile and target', () => {
    assert.equal(buildCommand(view('rust', '/r/target/riscv32imc-unknown-none-elf/release'), '/r', none)?.text, 'cargo build --release --target riscv32imc-unknown-none-elf');
    assert.equal(buildCommand(view('rust', '/r/target/xtensa-esp32-none-elf/debug'), '/r', none)?.text, 'cargo build --target xtensa-esp32-none-elf');
    const c = buildCommand(view('rust', '/r/target/xtensa-esp32s3-none-elf/small'), '/r', none)!;
    assert.deepEqual([c.text, c.cwd], ['cargo build --profile small --target xtensa-esp32s3-none-elf', '/r']);
  });

  it('no build output yet: the folder’s project file decides; nothing known, nothing to run', () => {
    assert.equal(buildCommand(view('none', ''), '/f', (p) => p === '/f/platformio.ini')?.text, 'pio run');
    assert.equal(buildCommand(undefined, '/f', (p) => p === '/f/Cargo.toml')?.text, 'cargo build --release');
    assert.equal(buildCommand(undefined, '/f', (p) => p === '/f/CMakeLists.txt')?.text, 'idf.py build');
    assert.equal(buildCommand(undefined, '/f', none), undefined);
  });
});
