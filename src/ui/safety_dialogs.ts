/**
 * What the user sees when the core refuses or a job fails: refusals become modal messages
 * that say what was found and what to do, overrides need a second, explicit confirmation
 * naming the risk, and a port held by another program says so.
 */
import * as vscode from 'vscode';
import type { Ctx } from './ctx';
import { adviseError, type ErrorAdvice } from './error_advice';

export type FailureOutcome = 'override' | 'cancelled' | 'shown';

const OVERRIDE = 'Override…';
const SELECT_PORT = 'Select Port';
const SHOW_OUTPUT = 'Show Output';

/**
 * Shows a failure of `operation` on `port`. Resolves 'override' when the user confirmed a
 * forced retry of a refusal that allows one (only offered when `canOverride`).
 */
export async function showFailure(
  ctx: Ctx,
  e: unknown,
  opts: { operation: string; port?: string; canOverride: boolean; alreadyLogged?: boolean },
): Promise<FailureOutcome> {
  const advice: ErrorAdvice = adviseError(e, opts.port);
  if (!opts.alreadyLogged) ctx.log(advice.kind === 'cancelled' ? 'warn' : 'error', `${opts.operation}: ${advice.message}${advice.detail ? ` ${advice.detail.replace(/\n+/g, ' ')}` : ''}`);
  switch (advice.kind) {
    case 'cancelled':
      ctx.prompter.notify('info', `${opts.operation} cancelled; ${opts.port ?? 'the port'} is free again.`);
      return 'cancelled';
    case 'refusal': {
      const buttons = opts.canOverride && advice.overridable ? [OVERRIDE] : [];
      const first = await ctx.prompter.modal('warning', `${opts.operation}: ${advice.message}`, advice.detail, ...buttons);
      if (first !== OVERRIDE) return 'shown';
      return (await confirmOverride(ctx, opts.operation, opts.port, advice)) ? 'override' : 'shown';
    }
    case 'port-busy':
    case 'permission':
      await ctx.prompter.modal('error', `${opts.operation}: ${advice.message}`, advice.detail);
      return 'shown';
    case 'port-missing': {
      const a = await ctx.prompter.modal('error', `${opts.operation}: ${advice.message}`, advice.detail, SELECT_PORT);
      if (a === SELECT_PORT) void vscode.commands.executeCommand('espFlasher.selectPort');
      return 'shown';
    }
    default:
      ctx.prompter.notify('error', `${opts.operation} failed: ${advice.message}`, [SHOW_OUTPUT], () => ctx.output.show(true));
      return 'shown';
  }
}

export const CONFIRM_OVERRIDE = 'Write Anyway (I accept the risk)';

async function confirmOverride(ctx: Ctx, operation: string, port: string | undefined, advice: ErrorAdvice): Promise<boolean> {
  const answer = await ctx.prompter.modal(
    'warning',
    `Override the safety check and run "${operation}" on ${port ?? 'the device'} anyway?`,
    `The check said: ${advice.message.replace(/^ESP Flasher refused to (go on|write): /, '')}\n\n` +
      'Risk: the device may not boot afterwards. Plaintext written over encrypted flash, an image built for another chip ' +
      'or revision, or encryption the device cannot do leaves it unbootable until it is reflashed correctly; with flash ' +
      'encryption in release mode or secure boot that may be impossible. Only go on if you know what the device holds.',
    CONFIRM_OVERRIDE,
  );
  const ok = answer === CONFIRM_OVERRIDE;
  ctx.log('warn', ok ? `${operation}: the user overrode the safety check.` : `${operation}: override declined.`);
  return ok;
}

/** A modal confirmation for an irreversible action; `yes` skips it (tests, tasks). */
export async function confirmDanger(ctx: Ctx, message: string, detail: string, button: string, yes?: boolean): Promise<boolean> {
  if (yes) {
    ctx.log('warn', `${message} Confirmed by the caller.`);
    return true;
  }
  return (await ctx.prompter.modal('warning', message, detail, button)) === button;
}
