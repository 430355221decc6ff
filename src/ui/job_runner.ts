/**
 * Runs one device job (flash, erase, read info) with everything around it: one job per port,
 * a cancellable notification whose increments sum to 100 %, output lines, the status bar
 * state, cancellation, the safety dialogs and a confirmed forced retry.
 */
import * as vscode from 'vscode';
import type { FlashEvent, FlashEventListener } from '../core/flash/events';
import type { Ctx } from './ctx';
import { adviseError, errorText } from './error_advice';
import { FlashLogFormatter, type LogLine } from './output_log';
import { PortLocks } from './port_locks';
import { PlanProgress, StepBatcher } from './progress';
import type { RefusalFix } from './refusal_dialog';
import { showFailure, type FailureOutcome } from './safety_dialogs';

export interface JobSpec<T> {
  /** "Flash", "Flash (Encrypted)", "Erase Flash", "Read Device Info", … */
  operation: string;
  port: string;
  /** Bytes the job writes (for the percent until the core's 'plan' event). */
  totalBytes?: number;
  /** Whether a refusal of this job may be overridden with `force` after confirmation. */
  canOverride: boolean;
  /** Start with `force` (the caller already confirmed, e.g. a test). */
  force?: boolean;
  /** Also write the lines here (a task's terminal). */
  echo?: (line: LogLine) => void;
  run(signal: AbortSignal, onEvent: FlashEventListener, force: boolean): Promise<T>;
  /** A finished job can still have failed (FlashResult.ok false): the error to show, and whether it was a cancel. */
  failure?(result: T): { error: unknown; cancelled?: boolean } | undefined;
  /** Seconds to show in the status bar. */
  seconds?(result: T): number | undefined;
  /** The job writes encrypted segments (decides which fix a refusal offers). */
  encrypted?: boolean;
  /** Runs the fix a refusal dialog offered (after this job has released the port). */
  onFix?(fix: RefusalFix): void;
}

export async function runJob<T>(ctx: Ctx, spec: JobSpec<T>): Promise<T | undefined> {
  const busy = ctx.locks.busy(spec.port);
  const release = ctx.locks.tryAcquire(spec.port, spec.operation);
  if (!release) {
    const text = PortLocks.refusal(busy!, spec.operation);
    ctx.log('warn', text);
    spec.echo?.({ level: 'warn', text });
    ctx.prompter.notify('warning', text);
    return undefined;
  }
  let force = !!spec.force;
  let fix: RefusalFix | undefined;
  const failureOpts = (canOverride: boolean) => ({
    operation: spec.operation,
    port: spec.port,
    canOverride,
    encrypted: spec.encrypted,
    deviceEncryption: ctx.device?.port === spec.port ? ctx.device.info.flashEncryption : undefined,
    fixable: !!spec.onFix,
  });
  const isFix = (o: FailureOutcome): o is { fix: RefusalFix } => typeof o === 'object';
  try {
    for (;;) {
      const started = Date.now();
      const ac = new AbortController();
      try {
        const result = await vscode.window.withProgress(
          {
            location: vscode.ProgressLocation.Notification,
            title: `ESP Flasher: ${spec.operation} on ${spec.port}`,
            cancellable: true,
          },
          (progress, token) => {
            ctx.jobs.set(spec.port, ac);
            const sub = token.onCancellationRequested(() => ac.abort());
            const tracker = new PlanProgress(spec.totalBytes ?? 0);
            const fmt = new FlashLogFormatter();
            ctx.setState({ phase: 'flashing', port: spec.port, operation: spec.operation, percent: 0 }, true);
            const line = `${spec.operation} on ${spec.port}${force ? ' (safety checks overridden)' : ''}`;
            ctx.log('info', `---- ${line} ----`);
            spec.echo?.({ level: 'info', text: line });
            const batch = new StepBatcher((step) => {
              progress.report(step);
              ctx.setState({ phase: 'flashing', percent: tracker.percent, segment: tracker.segment, kbitPerSecond: tracker.kbitPerSecond });
            });
            const onEvent = (e: FlashEvent): void => {
              // Every connection fills the Device view (a flash or an erase too, not only Read Device Info).
              if (e.kind === 'device') ctx.setDevice({ port: spec.port, info: e.info, readAt: new Date() });
              const lines = fmt.lines(e);
              ctx.logLines(lines);
              if (spec.echo) for (const l of lines) spec.echo(l);
              const step = tracker.update(e);
              // Segment boundaries and the end show at once; block progress at most every 100 ms.
              if (step) batch.add(step, e.kind !== 'progress');
            };
            return spec.run(ac.signal, onEvent, force).finally(() => {
              batch.flush();
              sub.dispose();
            });
          },
        );
        const seconds = spec.seconds?.(result) ?? (Date.now() - started) / 1000;
        const failure = spec.failure?.(result);
        if (!failure) {
          ctx.setState({ phase: 'succeeded', seconds, percent: 100, segment: undefined, kbitPerSecond: undefined, error: undefined });
          return result;
        }
        const cancelled = ac.signal.aborted || !!failure.cancelled;
        const text = errorText(failure.error);
        ctx.setState({ phase: cancelled ? 'cancelled' : 'failed', seconds, error: text, segment: undefined, kbitPerSecond: undefined });
        if (cancelled) {
          ctx.prompter.notify('info', `${spec.operation} cancelled; ${spec.port} is free again. ${text}`);
          return result;
        }
        const outcome = await showFailure(ctx, failure.error, { ...failureOpts(spec.canOverride && !force), alreadyLogged: true });
        if (outcome === 'override') {
          force = true;
          continue;
        }
        if (isFix(outcome)) fix = outcome.fix;
        return result;
      } catch (e) {
        const advice = adviseError(e, spec.port);
        const cancelled = ac.signal.aborted || advice.kind === 'cancelled';
        ctx.setState({
          phase: cancelled ? 'cancelled' : 'failed',
          seconds: (Date.now() - started) / 1000,
          error: errorText(e),
          segment: undefined,
          kbitPerSecond: undefined,
        });
        spec.echo?.({ level: 'error', text: `${spec.operation}: ${errorText(e)}` });
        const outcome = cancelled
          ? await showFailure(ctx, Object.assign(new Error(errorText(e)), { name: 'CancelledError' }), {
              operation: spec.operation,
              port: spec.port,
              canOverride: false,
            })
          : await showFailure(ctx, e, failureOpts(spec.canOverride && !force));
        if (outcome === 'override') {
          force = true;
          continue;
        }
        if (isFix(outcome)) fix = outcome.fix;
        return undefined;
      } finally {
        if (ctx.jobs.get(spec.port) === ac) ctx.jobs.delete(spec.port);
      }
    }
  } finally {
    release();
    // The fix is a job of its own: it starts once this one has let go of the port.
    if (fix) spec.onFix?.(fix);
  }
}
