/**
 * "Flash with ESP Flasher" on a file in the explorer: flasher_args.json flashes that build;
 * a .bin that is part of the plan flashes that segment, another .bin is written plain at an
 * offset the user gives; an .elf flashes the plan whose app it is.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FlashResult } from '../../core/flash/api';
import { parseCommandArgs } from '../command_args';
import { flashResultError } from '../error_advice';
import { flashOptionsFrom } from '../flash_options';
import { runJob } from '../job_runner';
import { loadProject } from '../project_loader';
import { resolvePort } from '../port_picker';
import { runFlash } from './flash';
import { requireTrust, type CommandFactory } from './common';

export const flashFile: CommandFactory =
  (ctx) =>
  async (...a): Promise<FlashResult | undefined> => {
    const args = parseCommandArgs(a);
    const file = args.file;
    if (!file) return undefined;
    const base = path.basename(file);
    if (base === 'flasher_args.json') {
      return runFlash(ctx, { ...args, folder: path.dirname(file) }, { encrypted: false, oneSegment: false });
    }
    if (!ctx.project) await loadProject(ctx);
    const seg = ctx.project?.view.plan.segments.find((s) => s.file && path.resolve(s.file) === path.resolve(file));
    if (seg) {
      return runFlash(ctx, { ...args, segment: seg.name }, { encrypted: false, oneSegment: true });
    }
    if (path.extname(file).toLowerCase() === '.elf') {
      await ctx.prompter.modal(
        'warning',
        `${base} is not part of the current flash plan.`,
        `ESP Flasher flashes an ELF through its project: open the project folder (or pick its build output with "Pick Build Folder") so the plan shows it. Current plan: ${ctx.project?.view.buildDir ?? ctx.project?.folder ?? 'none'}.`,
      );
      return undefined;
    }
    const operation = `Flash ${base}`;
    if (!(await requireTrust(ctx, operation))) return undefined;
    let offset = args.offset;
    if (offset === undefined) {
      const typed = await ctx.prompter.input({
        title: `ESP Flasher: ${operation}`,
        prompt: `Flash offset for ${base} (hex like 0x10000, a multiple of 0x1000)`,
        validateInput: (v) => (/^(0x[0-9a-f]+|\d+)$/i.test(v.trim()) ? undefined : 'Enter an offset such as 0x10000.'),
      });
      if (!typed) return undefined;
      offset = Number(typed.trim());
    }
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(fs.readFileSync(file));
    } catch (e) {
      await ctx.prompter.modal('error', `Cannot read ${file}.`, String((e as Error).message));
      return undefined;
    }
    const port = await resolvePort(ctx, args.port, ctx.project?.view.plan.chip);
    if (!port) return undefined;
    const settings = ctx.settings(file);
    const at = offset;
    ctx.lastRun = { command: 'espFlasher.flashFile', title: `${operation} at 0x${at.toString(16)}`, args: [{ file, offset: at, port: args.port }] };
    const result = await runJob(ctx, {
      operation: `${operation} at 0x${at.toString(16)}`,
      port,
      totalBytes: bytes.length,
      canOverride: true,
      force: args.force,
      run: (signal, onEvent, force) =>
        ctx.core.flashSegments(
          [{ name: base, offset: at, bytes, encrypt: 'off' }],
          flashOptionsFrom(settings, undefined, { port, signal, onEvent, force, deviceCache: ctx.deviceCache }),
        ),
      failure: (r) => (r.ok ? undefined : { error: flashResultError(r, 'see the ESP Flasher output'), cancelled: r.cancelled }),
      seconds: (r) => r.seconds,
    });
    if (result) ctx.lastFlashResult = result;
    return result;
  };
