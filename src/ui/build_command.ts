/**
 * The command that builds the project behind the Flash Plan: ESP-IDF `idf.py build`, PlatformIO
 * `pio run -e <env>`, cargo `cargo build` with the profile (and target) of the build folder.
 * Without build output yet, the project's own files decide (CMakeLists.txt, platformio.ini,
 * Cargo.toml). No vscode here.
 */
import * as path from 'node:path';
import type { ProjectView } from './plan_rows';

export interface BuildCommand {
  tool: 'idf.py' | 'pio' | 'cargo';
  command: string;
  args: string[];
  /** Folder the build runs in (the project's). */
  cwd: string;
  /** "idf.py build", "pio run -e esp32dev", "cargo build --release --target …" */
  text: string;
}

function make(tool: BuildCommand['tool'], args: string[], cwd: string): BuildCommand {
  return { tool, command: tool, args, cwd, text: [tool, ...args].join(' ') };
}

/** `exists(p)`: whether a file is there (the caller reads the disk). */
export function buildCommand(view: ProjectView | undefined, folder: string, exists: (p: string) => boolean): BuildCommand | undefined {
  const buildDir = view?.buildDir;
  if (view && buildDir && view.kind === 'esp-idf') {
    const project = path.dirname(buildDir);
    return path.basename(buildDir) === 'build' ? make('idf.py', ['build'], project) : make('idf.py', ['-B', buildDir, 'build'], project);
  }
  if (view && buildDir && view.kind === 'platformio') {
    // .pio/build/<env>
    return make('pio', ['run', '-e', path.basename(buildDir)], path.resolve(buildDir, '../../..'));
  }
  if (view && buildDir && view.kind === 'rust') {
    // target/<triple>/<profile>
    const profile = path.basename(buildDir);
    const triple = path.basename(path.dirname(buildDir));
    const args = ['build'];
    if (profile === 'release') args.push('--release');
    else if (profile !== 'debug') args.push('--profile', profile);
    args.push('--target', triple);
    return make('cargo', args, path.resolve(buildDir, '../../..'));
  }
  // No build output yet: what the folder holds.
  if (exists(path.join(folder, 'platformio.ini'))) return make('pio', ['run'], folder);
  if (exists(path.join(folder, 'Cargo.toml'))) return make('cargo', ['build', '--release'], folder);
  if (exists(path.join(folder, 'CMakeLists.txt'))) return make('idf.py', ['build'], folder);
  return undefined;
}
