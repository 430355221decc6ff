/**
 * "ESP Flasher: Monitor": the core serial monitor in a VS Code terminal (a Pseudoterminal named
 * after the port). Keys as on the command line (Ctrl-] closes, Ctrl-T R resets, Ctrl-T P pauses);
 * decoded crash frames ("--- 0x…: fn at file:line") are links to the source line. A flash to the
 * same port borrows the port from the core monitor and hands it back (nothing to do here).
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { CrashDecoder, imageMismatchNote } from '../core/monitor/crash_decoder';
import { ElfDecoder } from '../core/monitor/elf_decoder';
import { appImageElfSha, findAppElf } from '../core/monitor/find_elf';
// Type only: the monitor (and serialport with it) loads when a terminal opens, not with the extension.
import type { SerialMonitor } from '../core/monitor/monitor';
import type { Ctx } from './ctx';
import { frameLinkIn } from './frame_links';

const open = new Map<string, { terminal: vscode.Terminal; ready: Promise<SerialMonitor | undefined> }>();
/** What each port's monitor terminal showed (raw pieces, about the last 64 KiB): the test API reads it. */
const shown = new Map<string, { pieces: string[]; length: number }>();
const SHOWN_MAX = 64 * 1024;

function keepShown(port: string, text: string): void {
  let s = shown.get(port);
  if (!s) shown.set(port, (s = { pieces: [], length: 0 }));
  s.pieces.push(text);
  s.length += text.length;
  // Trimmed now and then, not on every write (a 2,000,000 baud flood writes thousands of times a second).
  if (s.length > 2 * SHOWN_MAX) {
    const all = s.pieces.join('').slice(-SHOWN_MAX);
    s.pieces = [all];
    s.length = all.length;
  }
}

/** Text the monitor terminal of `port` has shown so far (ANSI colours removed, "\n" line ends). */
export function monitorText(port: string): string {
  const s = shown.get(port);
  return s
    ? s.pieces
        .join('')
        .replace(/\x1b\[[0-9;]*m/g, '')
        .replace(/\r\n/g, '\n')
    : '';
}

function decoderFor(ctx: Ctx): { decoder: CrashDecoder; note: string } {
  const plan = ctx.project?.view.plan;
  if (!plan) return { decoder: new CrashDecoder(undefined, { noElfReason: 'no build loaded' }), note: 'No build loaded: crash addresses will not be decoded.' };
  const found = findAppElf(plan);
  if ('reason' in found) return { decoder: new CrashDecoder(undefined, { noElfReason: found.reason }), note: `Crash addresses will not be decoded: ${found.reason}.` };
  try {
    const elf = ElfDecoder.load(found.file, plan.chip);
    const image = appImageElfSha(plan);
    const warning = image && imageMismatchNote(elf, image.sha256, image.image);
    return { decoder: new CrashDecoder(elf), note: `Crash addresses are decoded with ${found.file}.${warning ? `\n${warning}` : ''}` };
  } catch (e) {
    return { decoder: new CrashDecoder(undefined, { noElfReason: (e as Error).message }), note: (e as Error).message };
  }
}

/** Show the monitor terminal of `port`, opening it when there is none. `reset` false: leave the chip alone. */
export function openMonitorTerminal(ctx: Ctx, port: string, reset = true): Promise<SerialMonitor | undefined> {
  const existing = open.get(port);
  if (existing) {
    existing.terminal.show(true);
    return existing.ready;
  }
  const writer = new vscode.EventEmitter<string>();
  const closer = new vscode.EventEmitter<void>();
  let monitor: SerialMonitor | undefined;
  let menu = false;
  let resolveReady!: (m: SerialMonitor | undefined) => void;
  const ready = new Promise<SerialMonitor | undefined>((r) => (resolveReady = r));
  shown.delete(port);
  const toTerminal = (t: string): void => {
    keepShown(port, t);
    writer.fire(t);
  };
  const write = (t: string): void => toTerminal(t.replace(/\r?\n/g, '\r\n'));
  const pty: vscode.Pseudoterminal = {
    onDidWrite: writer.event,
    onDidClose: closer.event,
    open: () => {
      const { decoder, note } = decoderFor(ctx);
      write(`--- ${note}\n--- Ctrl-] closes, Ctrl-T R resets the chip into its app, Ctrl-T P pauses the output.\n`);
      const onState = (state: string): void => ctx.log('info', `Monitor on ${port}: ${state === 'lent' ? 'paused, a job is using the port' : state}.`);
      import('../core/monitor/monitor')
        .then(({ SerialMonitor }) => SerialMonitor.open({ port, reset, colors: true, eol: '\r\n', decoder, write: toTerminal, onState }))
        .then(
          (m) => {
            monitor = m;
            ctx.log('info', `Monitor on ${port}: open in the terminal "${terminal.name}".`);
            resolveReady(m);
            void m.done.then(() => closer.fire());
          },
          (e: Error) => {
            write(`--- ${e.message}\n--- Press any key to close this terminal.\n`);
            resolveReady(undefined);
          },
        );
    },
    close: () => {
      open.delete(port);
      void monitor?.close();
    },
    handleInput: (data) => {
      if (!monitor) return closer.fire();
      for (const ch of data) {
        const code = ch.charCodeAt(0);
        if (menu) {
          menu = false;
          const k = String.fromCharCode(code | 0x60);
          if (k === 'r') void monitor.resetIntoApp();
          else if (k === 'p') monitor.toggleDisplayPause();
          continue;
        }
        if (code === 0x1d) return void monitor.close();
        if (code === 0x14) menu = true;
        else void monitor.send(ch === '\r' ? '\n' : ch).catch(() => undefined);
      }
    },
  };
  const terminal = vscode.window.createTerminal({ name: `ESP Monitor (${port})`, pty });
  open.set(port, { terminal, ready });
  terminal.show(true);
  return ready;
}

/**
 * "Reset and Monitor": the chip was left in its loader (a flash that ends without a reset, as
 * ESP-IDF's flash-encryption builds ask): reset it into its app and show the monitor. An open
 * monitor terminal of the port resets the chip itself; otherwise one opens and resets on open.
 */
export async function resetAndMonitor(ctx: Ctx, port: string): Promise<SerialMonitor | undefined> {
  const existing = open.get(port);
  if (!existing) return openMonitorTerminal(ctx, port, true);
  existing.terminal.show(true);
  const m = await existing.ready;
  await m?.resetIntoApp();
  return m;
}

/**
 * Decoded frames "--- 0x…: fn at /path/file.c:12" open the file at the line; a file that is not on
 * this computer (the ELF was built elsewhere) is said in a notification.
 */
export function registerFrameLinks(ctx: Ctx): vscode.Disposable {
  return vscode.window.registerTerminalLinkProvider({
    provideTerminalLinks(context) {
      const link = frameLinkIn(context.line);
      return link
        ? [{ startIndex: link.startIndex, length: link.length, tooltip: 'Open the source line', file: link.file, line: link.line } as vscode.TerminalLink & FileLine]
        : [];
    },
    async handleTerminalLink(link: vscode.TerminalLink & Partial<FileLine>) {
      if (!link.file) return;
      if (!fs.existsSync(link.file)) {
        ctx.prompter.notify('warning', `${link.file} is not on this computer (the ELF was built from sources elsewhere); line ${link.line ?? '?'} cannot be opened.`);
        return;
      }
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(link.file));
      const line = Math.max(0, (link.line ?? 1) - 1);
      await vscode.window.showTextDocument(doc, { selection: new vscode.Range(line, 0, line, 0) });
    },
  });
}

interface FileLine {
  file: string;
  line: number;
}
