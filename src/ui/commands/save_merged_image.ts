/**
 * "ESP Flasher: Save Merged Image…": the Flash Plan as one image file (raw .bin, .hex or .uf2
 * by the file name), plain or with the checked segments encrypted with the key from the
 * settings (Encryption: Key File, or Key Folder and the device's MAC). The core makes and
 * writes the file (src/core/image_out); this only asks and reports.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FlashKey } from '../../core/crypto/flash_crypto';
import { parseCommandArgs } from '../command_args';
import { openSetting } from '../config';
import { errorText } from '../error_advice';
import { hostKeyFrom } from '../flash_options';
import { projectWithPlan, requireTrust, type CommandFactory } from './common';

const OPERATION = 'Save Merged Image';

export const saveMergedImage: CommandFactory =
  (ctx) =>
  async (...a): Promise<string | undefined> => {
    const args = parseCommandArgs(a);
    const project = await projectWithPlan(ctx, args, OPERATION);
    if (!project) return undefined;
    const plan = project.view.plan;
    if (!plan.chip) {
      await ctx.prompter.modal('error', `${OPERATION}: the plan does not say which chip it is for.`, 'Set "ESP Flasher › Chip" or build for a target, then try again.');
      return undefined;
    }
    const how = await ctx.prompter.pick(
      [
        { label: 'Plain', description: 'every segment as built', value: 'plain' },
        { label: 'Encrypted', description: 'checked segments as ciphertext with the key from the settings', value: 'encrypted' },
      ],
      { title: `ESP Flasher: ${OPERATION}`, placeHolder: "Plain image, or encrypted for one device's key?" },
    );
    if (!how) return undefined;
    const encrypted = how.value === 'encrypted';
    const settings = ctx.settings(project.folder);
    const wsFolder = ctx.workspaceFolderOf(project.folder)?.uri.fsPath ?? project.folder;

    let key: FlashKey | undefined;
    let flashCryptConfig: number | undefined;
    if (encrypted) {
      if (!(await requireTrust(ctx, `${OPERATION} (Encrypted)`))) return undefined;
      const hostKey = hostKeyFrom(settings, wsFolder);
      if (!hostKey) {
        const open = 'Open Settings';
        const answer = await ctx.prompter.modal(
          'error',
          `${OPERATION}: an encrypted image needs the device's key.`,
          'Set "ESP Flasher › Encryption: Key File" (raw key bytes as espsecure writes them) or "Key Folder" (per-device keys named <mac>.bin). Nothing was written.',
          open,
        );
        if (answer === open) await openSetting('keyFile');
        return undefined;
      }
      let mac: string | undefined;
      if (!hostKey.keyFile && hostKey.keyDir) {
        mac = await ctx.prompter.input({
          title: `ESP Flasher: ${OPERATION}`,
          prompt: `MAC address of the device whose key to use (its key file is ${hostKey.keyDir}/<mac>.bin)`,
          validateInput: (v) => (/^([0-9a-f]{2}[:-]?){5}[0-9a-f]{2}$/i.test(v.trim()) ? undefined : 'Enter a MAC such as 24:0a:c4:00:0a:1b.'),
        });
        if (!mac) return undefined;
      }
      try {
        const { resolveHostKey } = await import('../../core/crypto/device_key_file');
        key = resolveHostKey(hostKey, { chip: plan.chip, mac });
      } catch (e) {
        await ctx.prompter.modal('error', `${OPERATION}: the key cannot be used.`, `${errorText(e)} Nothing was written.`);
        return undefined;
      }
      flashCryptConfig = hostKey.flashCryptConfig;
    }

    let target = args.file;
    if (!target) {
      const suggested = path.join(project.view.buildDir ?? project.folder, `${path.basename(project.folder)}-${encrypted ? 'encrypted' : 'merged'}.bin`);
      const uri = await vscode.window.showSaveDialog({
        title: `ESP Flasher: ${OPERATION}`,
        defaultUri: vscode.Uri.file(suggested),
        filters: { 'Raw flash image': ['bin'], 'Intel HEX': ['hex'], UF2: ['uf2'] },
      });
      if (!uri) return undefined;
      target = uri.fsPath;
    }

    const [{ ImageOutError }, { writeMergedImageFile }] = await Promise.all([import('../../core/image_out/image_out_error'), import('../../core/image_out/merged_file')]);
    const overrides = encrypted ? ctx.choices.overrides(ctx.choicesKey() ?? project.folder) : undefined;
    const segments = ctx.core.segmentsFromPlan(plan, encrypted ? 'encrypted' : 'plain', 'host', overrides).map((s) => {
      const file = plan.segments.find((p) => p.offset === s.offset)?.file;
      return { name: s.name, offset: s.offset, bytes: s.bytes, encrypt: s.encrypt !== 'off', ...(file ? { file } : {}) };
    });
    try {
      const opts = { chip: plan.chip, settings: plan.settings, ...(key ? { key } : {}), ...(flashCryptConfig !== undefined ? { flashCryptConfig } : {}) };
      const { merged, format } = await writeMergedImageFile(plan, segments, opts, target);
      const enc = merged.regions.filter((r) => r.encrypted).map((r) => r.name);
      ctx.log(
        'info',
        `${OPERATION}: wrote ${target} (${format}) — ${merged.regions.map((r) => `${r.name} @0x${r.offset.toString(16)}${r.encrypted ? ' encrypted' : ''}`).join(', ')}${key ? ` with ${key.description} from ${key.source}` : ''}.`,
      );
      for (const n of merged.notes) ctx.log('info', `${OPERATION}: ${n}`);
      ctx.prompter.notify('info', `Saved ${path.basename(target)}${enc.length ? ` (${enc.join(', ')} encrypted)` : ''}; write it raw at 0x${merged.base.toString(16)}.`);
      return target;
    } catch (e) {
      if (!(e instanceof ImageOutError)) {
        await ctx.prompter.modal('error', `${OPERATION} failed; nothing was written.`, errorText(e));
        return undefined;
      }
      for (const p of e.problems) ctx.log('error', `${OPERATION}: ${p.message}`);
      await ctx.prompter.modal('error', `${OPERATION}: nothing was written.`, e.problems.map((p) => `• ${p.message}`).join('\n'));
      return undefined;
    }
  };
