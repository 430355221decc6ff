/**
 * Flash All and Flash All (Encrypted): the flash plan on every chosen port at once, through
 * the production line the CLI's multi-port flash runs (the core's runLine: one session, baud,
 * refusal and record per device). The segments and their encryption are chosen exactly as for
 * Flash / Flash (Encrypted); per-device keys come from the Key Folder setting; each record is
 * appended to the report file a setting names. The Device view shows a row per device
 * (line_state.ts, line_rows.ts); one Cancel stops every device and releases every port.
 */
import * as vscode from 'vscode';
import type { FlashOptions, FlashResult, WriteSegment } from '../../core/flash/api';
import type { FlashEvent } from '../../core/flash/events';
import type { DeviceRecord as LineRecord } from '../../core/line/device_record';
import type { LineJob } from '../../core/line/line_runner';
import type { LinePort } from '../../core/line/port_selection';
import type { ReportWriter } from '../../core/line/report_file';
import { parseCommandArgs, type CommandArgs } from '../command_args';
import { openSetting } from '../config';
import type { Ctx } from '../ctx';
import { errorText } from '../error_advice';
import { flashOptionsFrom, resolveSettingPath } from '../flash_options';
import { lineHeadline, lineRows, shortReason } from '../line_rows';
import { FlashLogFormatter } from '../output_log';
import { PortLocks } from '../port_locks';
import { pickPorts } from '../port_picker';
import { confirmOverride } from '../safety_dialogs';
import { hostKeyReady, planCheckPasses, projectWithPlan, requireTrust, type CommandFactory } from './common';

/** The ports checked last time (per workspace): the picker opens with them checked. */
const PORTS_KEY = 'espFlasher.flashAllPorts';
const PROGRESS_MS = 200;
const REPORT_SETTING = '"ESP Flasher › Line: Report File"';

export function flashAllOperation(encrypted: boolean): string {
  return encrypted ? 'Flash All (Encrypted)' : 'Flash All';
}

/** The whole flow; resolves with one record per device run (undefined when nothing ran). */
export async function runFlashAll(ctx: Ctx, args: CommandArgs, encrypted: boolean): Promise<LineRecord[] | undefined> {
  const operation = flashAllOperation(encrypted);
  if (!(await requireTrust(ctx, operation))) return undefined;
  if (ctx.line.run && !ctx.line.run.finished) {
    ctx.prompter.notify('warning', `${ctx.line.run.operation} is still running; cancel it or wait before "${operation}".`);
    return undefined;
  }
  const project = await projectWithPlan(ctx, args, operation);
  if (!project) return undefined;
  const plan = project.view.plan;
  const settings = ctx.settings(project.folder);

  // The same per-segment choice as Flash / Flash (Encrypted): the core's resolveSegmentEncryption.
  const key = ctx.choicesKey() ?? project.folder;
  const segments = ctx.core.segmentsFromPlan(plan, encrypted ? 'encrypted' : 'plain', settings.encryptionMode, encrypted ? ctx.choices.overrides(key) : undefined);
  if (segments.length === 0) {
    await ctx.prompter.modal('warning', `${operation}: no segment to write.`, 'The plan has no segment. Refresh the plan.');
    return undefined;
  }
  const wsFolder = ctx.workspaceFolderOf(project.folder)?.uri.fsPath ?? project.folder;
  if (!(await hostKeyReady(ctx, operation, segments, settings, wsFolder))) return undefined;

  const remembered = ctx.extension.workspaceState.get<string[]>(PORTS_KEY) ?? [];
  const wanted = args.ports ?? (await pickPorts(ctx, plan.chip, remembered));
  if (!wanted) {
    ctx.log('warn', `${operation}: no port chosen, nothing was written.`);
    return undefined;
  }
  if (wanted.length === 0) {
    await ctx.prompter.modal(
      'warning',
      `${operation}: no port is checked; nothing was written.`,
      'Check every board to flash in the list (Space checks an item), then press Enter.',
    );
    return undefined;
  }
  let ports: LinePort[];
  try {
    ports = await ctx.core.selectLinePorts(wanted);
  } catch (e) {
    await ctx.prompter.modal('error', `${operation}: nothing was written.`, errorText(e));
    return undefined;
  }
  if (!args.ports) await ctx.extension.workspaceState.update(PORTS_KEY, wanted);
  const again: CommandArgs = { ports: wanted };
  if (args.folder) again.folder = args.folder;
  ctx.lastRun = { command: encrypted ? 'espFlasher.flashAllEncrypted' : 'espFlasher.flashAll', title: operation, args: [again] };

  // The plan's own problems stop the run; the rules are judged per device by each job.
  if (!(await planCheckPasses(ctx, plan, '', operation, segments))) return undefined;

  // A report that cannot be written is said before anything is flashed.
  let writer: ReportWriter | undefined;
  const reportFile = resolveSettingPath(settings.lineReportFile, wsFolder);
  if (reportFile) {
    try {
      writer = await ctx.core.openReport(reportFile, REPORT_SETTING);
    } catch (e) {
      const open = 'Open Settings';
      const a = await ctx.prompter.modal('error', `${operation}: the report file cannot be used; nothing was written.`, errorText(e), open);
      if (a === open) await openSetting('lineReportFile');
      return undefined;
    }
  }

  // Every device gets the single flash's options; the chip is a per-device verdict, not a connection error.
  const { port: _line, ...shared } = flashOptionsFrom(settings, plan, { port: '(line)', folder: wsFolder, force: args.force });
  const expectChip = settings.chip !== 'auto' ? settings.chip : plan.chip;
  const job: LineJob = { segments, options: { ...shared, chip: 'auto' }, expect: expectChip ? { chip: expectChip } : {} };

  const totalBytes = segments.reduce((n, s) => n + s.bytes.length, 0);
  if (ctx.line.run && !ctx.line.run.finished) {
    // Another Flash All started while this one was asking for ports.
    ctx.prompter.notify('warning', `${ctx.line.run.operation} is still running; cancel it or wait before "${operation}".`);
    return undefined;
  }
  const run = ctx.line.start(
    operation,
    ports.map((p) => p.port),
    totalBytes,
    encrypted,
  );
  const releases: Array<() => void> = [];
  const free: LinePort[] = [];
  for (const p of ports) {
    const busy = ctx.locks.busy(p.port);
    const release = ctx.locks.tryAcquire(p.port, operation);
    if (release) {
      releases.push(release);
      free.push(p);
    } else run.refuseStart(p.port, PortLocks.refusal(busy!, operation));
  }
  void vscode.commands.executeCommand('espFlasher.device.focus');

  const encryptedNames = segments.filter((s) => s.encrypt !== 'off').map((s) => `${s.name} (${s.encrypt})`);
  ctx.log('info', `---- ${operation} on ${free.length} device${free.length === 1 ? '' : 's'}: ${free.map((p) => p.port).join(', ')} ----`);
  ctx.log('info', `${operation}: ${segments.map((s) => s.name).join(', ')}${encryptedNames.length ? `; encrypted: ${encryptedNames.join(', ')}` : '; all plain'}`);
  if (writer) ctx.log('info', `${operation}: appending each device's record to ${writer.file}.`);

  const ac = new AbortController();
  const started = Date.now();
  const formatters = new Map<string, FlashLogFormatter>();
  const onEvent = (where: LinePort, e: FlashEvent): void => {
    run.event(where.port, e);
    let fmt = formatters.get(where.port);
    if (!fmt) formatters.set(where.port, (fmt = new FlashLogFormatter()));
    ctx.logLines(fmt.lines(e).map((l) => ({ ...l, text: `[${where.port}] ${l.text}` })));
  };
  const onRecord = async (rec: LineRecord): Promise<void> => {
    run.record(rec);
    ctx.log(rec.result === 'ok' ? 'info' : 'error', `[${rec.port}] ${rec.result === 'ok' ? `ok in ${rec.seconds.toFixed(1)} s` : `${rec.outcome}: ${rec.error ?? ''}`}`);
    if (!writer) return;
    try {
      await writer.append(rec);
    } catch (e) {
      ctx.log('error', `Could not append ${rec.port}'s record to ${writer.file}: ${errorText(e)}`);
    }
  };

  // The core's flash job for each device; its typed result also gives the row the refusals' own reasons.
  const flash = async (segs: WriteSegment[], opts: FlashOptions): Promise<FlashResult> => {
    const r = await ctx.core.flashSegments(segs, opts);
    run.result(opts.port, r);
    return r;
  };
  for (const p of free) ctx.jobs.set(p.port, ac);
  ctx.setState({ phase: 'flashing', port: `${ports.length} devices`, operation, percent: 0 }, true);
  let records: LineRecord[] = [];
  try {
    if (free.length) {
      records = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `ESP Flasher: ${operation} on ${free.length} device${free.length === 1 ? '' : 's'}`, cancellable: true },
        async (progress, token) => {
          const sub = token.onCancellationRequested(() => ac.abort());
          let reported = 0;
          const tick = (): void => {
            const p = run.percent;
            if (p > reported) progress.report({ increment: p - reported, message: lineHeadline(run) });
            reported = Math.max(reported, p);
            ctx.setState({ phase: 'flashing', percent: p });
          };
          const timer = setInterval(tick, PROGRESS_MS);
          try {
            return await ctx.core.runLine(free, job, { signal: ac.signal, onEvent, onRecord, flash });
          } finally {
            clearInterval(timer);
            sub.dispose();
          }
        },
      );
    }
  } finally {
    for (const p of free) if (ctx.jobs.get(p.port) === ac) ctx.jobs.delete(p.port);
    for (const release of releases) release();
    run.finish((Date.now() - started) / 1000, ac.signal.aborted);
  }

  void ctx.setContext('espFlasher.lineFailed', run.notFlashed.length > 0);
  const seconds = run.seconds ?? 0;
  const headline = lineHeadline(run);
  const allOk = run.counts.notOk === 0 && records.length === ports.length;
  ctx.log(allOk ? 'info' : 'warn', headline);
  for (const d of run.devices) {
    if (d.notStarted) ctx.log('warn', `${d.port}: not started: ${d.notStarted}`);
    else if (d.record && d.record.result !== 'ok') ctx.log('warn', `${d.port}: ${d.record.outcome}: ${d.record.error ?? ''}`);
  }
  if (ac.signal.aborted) {
    ctx.setState({ phase: 'cancelled', seconds, error: headline, segment: undefined, kbitPerSecond: undefined });
    ctx.prompter.notify('info', `${headline} Every port is free again.`);
  } else if (allOk) {
    ctx.setState({ phase: 'succeeded', seconds, percent: 100, error: undefined, segment: undefined, kbitPerSecond: undefined });
    ctx.prompter.notify('info', headline);
  } else {
    ctx.setState({ phase: 'failed', seconds, error: headline, segment: undefined, kbitPerSecond: undefined });
    // The first device not flashed, in its row's words (a refusal's own reason, not the record's error line).
    const first = lineRows(run).find((r) => r.reason);
    const why = first ? ` ${first.port}: ${shortReason(first.reason ?? '')}` : '';
    ctx.prompter.notify('warning', `${headline}${why} (each device's row in the Device view says why)`, ['Show Output'], () => ctx.output.show(true));
  }
  return records;
}

/** Flash All again on the devices the last run did not flash (as `esp-flasher flash --retry-failed`), the same kind (plain/encrypted). */
export async function retryFailed(ctx: Ctx): Promise<LineRecord[] | undefined> {
  const run = ctx.line.run;
  if (!run || !run.finished) {
    ctx.prompter.notify('info', run ? `${run.operation} is still running; Retry Failed can run once it has ended.` : 'No Flash All has run yet: nothing to retry.');
    return undefined;
  }
  const ports = run.notFlashed;
  if (ports.length === 0) {
    ctx.prompter.notify('info', `Every device of the last ${run.operation} was flashed: nothing to retry.`);
    return undefined;
  }
  ctx.log('info', `Retry Failed: ${run.operation} again on ${ports.join(', ')}`);
  return runFlashAll(ctx, { ports }, run.encrypted);
}

/**
 * A device row refused only by checks that may be overridden (as `--force` on the line): after the
 * same explicit confirmation as a single flash's override, Flash All again on that device with force.
 */
export async function overrideDevice(ctx: Ctx, node: unknown): Promise<LineRecord[] | undefined> {
  const run = ctx.line.run;
  const port = (node as { kind?: string; row?: { port?: unknown } } | undefined)?.row?.port;
  const device = typeof port === 'string' ? run?.devices.find((d) => d.port === port) : undefined;
  if (!run || !run.finished || !device?.refusals?.length || !device.refusals.every((r) => r.overridable)) {
    ctx.prompter.notify('info', 'Flash Again, Overriding the Checks works on a device row of a finished Flash All that was refused by checks that may be overridden.');
    return undefined;
  }
  const reasons = device.refusals.map((r) => r.reason).join('\n');
  if (!(await confirmOverride(ctx, run.operation, device.port, reasons))) return undefined;
  return runFlashAll(ctx, { ports: [device.port], force: true }, run.encrypted);
}

export const flashAllOverride: CommandFactory =
  (ctx) =>
  (...a) =>
    overrideDevice(ctx, a[0]);

export const flashAllRetryFailed: CommandFactory = (ctx) => () => retryFailed(ctx);

export const flashAll: CommandFactory =
  (ctx) =>
  (...a) =>
    runFlashAll(ctx, parseCommandArgs(a), false);
export const flashAllEncrypted: CommandFactory =
  (ctx) =>
  (...a) =>
    runFlashAll(ctx, parseCommandArgs(a), true);
