/**
 * `esp-flasher <command> [options]` — the command-line face of the core.
 *
 * Runs under tsx (`npm run cli -- …`) and bundled as dist/cli.js (the package's "bin").
 * Command modules are loaded on first use, so `--help` works even when a part of the
 * core is missing, and a command whose module is absent says "not available in this build".
 */
import './virtual_ports';
import { runAsScript } from './run_as_script';
import { formatError } from './format_error';
import { UsageError, suggestOption } from './args';
import type { CliContext, CommandModule, OutFn } from './cli_context';
import type { PortLister } from '../core/line/port_selection';

export interface CommandEntry {
  name: string;
  summary: string;
  load: () => CommandModule;
}

// Static require() strings so a bundler can follow them; each call is made only when the
// command runs.
/* eslint-disable @typescript-eslint/no-require-imports */
export const COMMANDS: CommandEntry[] = [
  { name: 'flash', summary: 'Write a build folder or offset/file pairs (plain, compressed, encrypted)', load: () => require('./cmd_flash') },
  { name: 'verify', summary: 'Compare flash contents with a build folder or offset/file pairs', load: () => require('./cmd_verify') },
  { name: 'info', summary: 'Connect and show chip, MAC, flash size and flash-encryption state', load: () => require('./cmd_info') },
  { name: 'read', summary: 'Read <offset> <length> bytes of flash into <file>', load: () => require('./cmd_read') },
  { name: 'erase', summary: 'Erase the whole flash, or --region <offset> <size>', load: () => require('./cmd_erase') },
  { name: 'plan', summary: 'Show what flashing a build folder would write, without a chip', load: () => require('./cmd_plan') },
  { name: 'partitions', summary: 'Print a partition table (binary or from a build folder)', load: () => require('./cmd_partitions') },
  { name: 'image-info', summary: 'Describe an app or bootloader image file', load: () => require('./cmd_image_info') },
  { name: 'encrypt-image', summary: 'Encrypt a file for a flash address with a key file (host encryption)', load: () => require('./cmd_encrypt_image') },
  { name: 'decrypt-image', summary: 'Decrypt flash contents read back, with a key file', load: () => require('./cmd_decrypt_image') },
  { name: 'merge', summary: 'Write a build as one flash image file (raw, Intel HEX, UF2), plain or encrypted', load: () => require('./cmd_merge') },
  { name: 'save-image', summary: 'Write the app image the plan would flash (ELF → image as esptool elf2image)', load: () => require('./cmd_save_image') },
  { name: 'generate-key', summary: 'Write a new random flash-encryption key file', load: () => require('./cmd_generate_key') },
  { name: 'monitor', summary: "Show the chip's output, decode crashes, follow the board across replugs", load: () => require('./cmd_monitor') },
  { name: 'decode', summary: 'Decode crash addresses in a log with the app ELF (function, file:line)', load: () => require('./cmd_decode') },
  { name: 'virtual', summary: 'serve <spec>: a virtual chip on a pseudo-terminal for other programs, with wire counters', load: () => require('./cmd_virtual') },
];

export function version(): string {
  // Resolved at bundle time by esbuild; at run time by Node from src/cli or dist/.
  const pkg = require('../../package.json') as { version: string };
  return pkg.version;
}

export function mainUsage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    'Usage: esp-flasher <command> [options]',
    '',
    'Flash Espressif chips (ESP32 family) from build output: plain, compressed or with flash encryption.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    `  ${'version'.padEnd(width)}Print the version`,
    '',
    'Run "esp-flasher <command> --help" for a command\'s options.',
    'Example: esp-flasher flash --port virtual:esp32c3 --encrypt path/to/build',
  ].join('\n');
}

function usageText(mod: CommandModule): string {
  return typeof mod.usage === 'function' ? mod.usage() : mod.usage;
}

function isModuleMissing(e: unknown): e is Error {
  return e instanceof Error && (e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND';
}

/** Load a command's module, or explain that this build lacks it. */
function loadCommand(entry: CommandEntry, err: OutFn, debug: boolean): CommandModule | undefined {
  try {
    const mod = entry.load();
    if (typeof mod?.run !== 'function') throw new Error(`module for "${entry.name}" exports no run()`);
    return mod;
  } catch (e) {
    if (isModuleMissing(e)) {
      err(`esp-flasher: the "${entry.name}" command is not available in this build (${e.message.split('\n')[0]}).`);
      return undefined;
    }
    err(formatError(e, debug));
    return undefined;
  }
}

export interface CliIo {
  out: OutFn;
  err: OutFn;
  rawWrite?: (text: string) => void;
  tty?: boolean;
  signal?: AbortSignal;
  /** Port lister for `flash --ports`/`--watch` (tests inject one). */
  listPorts?: PortLister;
}

/** Run one command line (without "node main.ts"); resolves with the exit code. Never throws. */
export async function runCli(argv: string[], io: CliIo, commands: CommandEntry[] = COMMANDS): Promise<number> {
  const debug = argv.includes('--debug');
  // --debug is global: taken here, so every command (ours or not) accepts it.
  const [command, ...rest] = argv.filter((a) => a !== '--debug');
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    if (command === 'help' && rest[0]) return runCli([rest[0], '--help'], io, commands);
    io.out(mainUsage());
    return command === undefined ? 2 : 0;
  }
  if (command === 'version' || command === '--version' || command === '-V') {
    io.out(`esp-flasher ${version()}`);
    return 0;
  }
  const entry = commands.find((c) => c.name === command || c.name.replace(/-/g, '_') === command);
  if (!entry) {
    const near =
      commands.find((c) => c.name.startsWith(command) || command.startsWith(c.name))?.name ??
      suggestOption(
        command,
        commands.map((c) => ({ name: c.name, kind: 'flag', help: '' })),
      );
    io.err(`esp-flasher: unknown command "${command}".${near ? ` Did you mean "${near}"?` : ''} Run "esp-flasher --help" for the list.`);
    return 2;
  }
  const mod = loadCommand(entry, io.err, debug);
  if (!mod) return 1;
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(usageText(mod));
    return 0;
  }
  const ctx: CliContext = { err: io.err, rawWrite: io.rawWrite, tty: io.tty ?? false, signal: io.signal, debug };
  if (io.listPorts) ctx.listPorts = io.listPorts;
  try {
    return await mod.run(rest, io.out, ctx);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`esp-flasher ${entry.name}: ${e.message}`);
      return 2;
    }
    io.err(formatError(e, debug));
    return 1;
  }
}

/** Entry point when run as a program: wires stdout/stderr, Ctrl-C / SIGTERM and the exit code. */
export async function main(argv = process.argv.slice(2)): Promise<number> {
  const abort = new AbortController();
  let interrupts = 0;
  let signal: 'SIGINT' | 'SIGTERM' | undefined;
  // Both stop the job the same way: release the port, then print the summary of what was written.
  const onSignal = (name: 'SIGINT' | 'SIGTERM'): void => {
    interrupts++;
    signal ??= name;
    if (interrupts === 1) {
      const what = name === 'SIGINT' ? 'Interrupted' : 'Terminated (SIGTERM)';
      process.stderr.write(`\n${what}: stopping and releasing the port (${name === 'SIGINT' ? 'Ctrl-C' : 'the signal'} again to quit at once)...\n`);
      abort.abort(Object.assign(new Error(name === 'SIGINT' ? 'Interrupted by the user (Ctrl-C).' : 'Terminated (SIGTERM).'), { signal: name }));
    } else {
      process.exit(name === 'SIGINT' ? 130 : 143);
    }
  };
  const onSigint = (): void => onSignal('SIGINT');
  const onSigterm = (): void => onSignal('SIGTERM');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  try {
    const code = await runCli(argv, {
      out: (line) => process.stdout.write(line + '\n'),
      err: (line) => process.stderr.write(line + '\n'),
      rawWrite: (text) => process.stdout.write(text),
      tty: Boolean(process.stdout.isTTY),
      signal: abort.signal,
    });
    return signal === 'SIGTERM' && code === 130 ? 143 : code;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
  }
}

if (require.main === module) {
  runAsScript(main());
}
