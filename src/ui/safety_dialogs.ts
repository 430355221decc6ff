/**
 * What the user sees when the core refuses or a job fails: refusals become modal messages
 * that say what was found and what to do, overrides need a second, explicit confirmation
 * naming the risk, and a port held by another program says so.
 */
import * as vscode from 'vscode';
import type { Ctx } from './ctx';
import { adviseError, type ErrorAdvice } from './error_advice';
import { FIX_LABEL, refusalDialog, refusalsOf, type RefusalFix } from './refusal_dialog';

/** 'override': retry with force (confirmed); `{ fix }`: run the fix the dialog offered instead. */
export type FailureOutcome = 'override' | 'cancelled' | 'shown' | { fix: RefusalFix };

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
  opts: {
    operation: string;
    port?: string;
    canOverride: boolean;
    alreadyLogged?: boolean;
    /** The job wrote (or meant to write) encrypted segments: decides which fix a refusal offers. */
    encrypted?: boolean;
    /** What the device on the port is known to be (the last connection to it). */
    deviceEncryption?: 'off' | 'development' | 'release';
    /** A fix can be run (a flash command that has a counterpart). */
    fixable?: boolean;
  },
): Promise<FailureOutcome> {
  const advice: ErrorAdvice = adviseError(e, opts.port);
  if (!opts.alreadyLogged)
    ctx.log(advice.kind === 'cancelled' ? 'warn' : 'error', `${opts.operation}: ${advice.message}${advice.detail ? ` ${advice.detail.replace(/\n+/g, ' ')}` : ''}`);
  switch (advice.kind) {
    case 'cancelled':
      ctx.prompter.notify('info', `${opts.operation} cancelled; ${opts.port ?? 'the port'} is free again.`);
      return 'cancelled';
    case 'refusal': {
      const refusals = refusalsOf(e);
      const dialog = refusals
        ? refusalDialog(refusals, { operation: opts.operation, encrypted: !!opts.encrypted, deviceEncryption: opts.deviceEncryption, canOverride: opts.canOverride })
        : { message: `${opts.operation}: ${advice.message}`, detail: advice.detail, overridable: advice.overridable, fix: undefined };
      const fix = opts.fixable ? dialog.fix : undefined;
      // The first button is the default one (Enter): the fix, or Show Output — never the override.
      const buttons = [fix ? FIX_LABEL[fix] : SHOW_OUTPUT];
      if (opts.canOverride && dialog.overridable) buttons.push(OVERRIDE);
      const first = await ctx.prompter.modal('warning', dialog.message, dialog.detail, ...buttons);
      if (fix && first === FIX_LABEL[fix]) {
        ctx.log('info', `${opts.operation}: running "${FIX_LABEL[fix]}".`);
        return { fix };
      }
      if (first === SHOW_OUTPUT) ctx.output.show(true);
      if (first !== OVERRIDE) return 'shown';
      return (await confirmOverride(ctx, opts.operation, opts.port, dialog.message)) ? 'override' : 'shown';
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
export const KEEP_SAFE = 'Don’t Write';

/** The second, explicit confirmation of an override (also Flash All's "Flash Again, Overriding the Checks…"). */
export async function confirmOverride(ctx: Ctx, operation: string, port: string | undefined, refused: string): Promise<boolean> {
  // "Don’t Write" comes first: it is the default button, so Enter keeps the device safe.
  const answer = await ctx.prompter.modal(
    'warning',
    `Override the safety check and run "${operation}" on ${port ?? 'the device'} anyway?`,
    `${refused}\n\n` +
      'Risk: the device may not boot afterwards. Plaintext written over encrypted flash, an image built for another chip ' +
      'or revision, or encryption the device cannot do leaves it unbootable until it is reflashed correctly; with flash ' +
      'encryption in release mode or secure boot that may be impossible. Only go on if you know what the device holds.',
    KEEP_SAFE,
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
