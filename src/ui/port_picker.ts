/**
 * Choosing the serial port: a quick pick of SerialPort.list() with USB bridge names (known
 * ESP bridges first), virtual chips for dry runs, and "enter a path" for ports list() cannot
 * see (pseudo-terminals); a single known ESP port is taken without asking. The choice is
 * remembered per workspace.
 */
import * as vscode from 'vscode';
import type { ChipName } from '../core/chips';
import type { Ctx } from './ctx';
import { errorText } from './error_advice';
import { autoPickPort, rankPorts, type ListedPort } from './usb_bridges';
import { virtualPortChoices } from './virtual_ports';

const LIST_DEADLINE_MS = 5000;

export async function listPorts(ctx: Ctx): Promise<{ ports: ListedPort[]; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`listing serial ports took longer than ${LIST_DEADLINE_MS / 1000} s`)), LIST_DEADLINE_MS);
    });
    const ports = await Promise.race([ctx.core.listPorts(), deadline]);
    return { ports };
  } catch (e) {
    const error = `Could not list serial ports (${errorText(e)}). On Linux this needs udevadm (package "udev"); you can still type a port path.`;
    ctx.log('warn', error);
    return { ports: [], error };
  } finally {
    if (timer) clearTimeout(timer);
  }
}

type PortItem = vscode.QuickPickItem & { value?: string };
const ENTER_PATH = '$(edit) Enter a port path…';

export async function pickPort(ctx: Ctx, planChip?: ChipName): Promise<string | undefined> {
  const { ports, error } = await listPorts(ctx);
  const current = ctx.port;
  const items: PortItem[] = [];
  const ranked = rankPorts(ports);
  items.push({ label: 'Serial ports', kind: vscode.QuickPickItemKind.Separator });
  if (ranked.length === 0) {
    items.push({ label: '$(info) No serial ports found', description: error ?? 'plug the board in, or use a virtual chip', value: '' });
  }
  for (const p of ranked) {
    items.push({
      label: `${p.bridge ? '$(circuit-board)' : '$(plug)'} ${p.path}`,
      description: p.description,
      detail: p.path === current ? 'current port' : undefined,
      value: p.path,
    });
  }
  items.push({ label: ENTER_PATH, description: 'a port list() does not show (a pseudo-terminal, a symlink)', value: '__enter__' });
  items.push({ label: 'Virtual chips (dry run)', kind: vscode.QuickPickItemKind.Separator });
  for (const v of virtualPortChoices(planChip)) {
    items.push({ label: `$(beaker) ${v.label}`, description: v.description, detail: v.path === current ? 'current port' : undefined, value: v.path });
  }
  const chosen = await ctx.prompter.pick(items, {
    title: 'ESP Flasher: Select Port',
    placeHolder: current ? `Current: ${current}` : 'Pick the board’s serial port',
    matchOnDescription: true,
  });
  if (!chosen || chosen.value === '') return undefined;
  if (chosen.value === '__enter__') {
    const typed = await ctx.prompter.input({
      title: 'ESP Flasher: Port Path',
      prompt: 'Serial port path (/dev/ttyUSB0, /dev/pts/3, COM3) or virtual:<chip>',
      value: current ?? '',
      validateInput: (v) => (v.trim() ? undefined : 'Enter a port path.'),
    });
    return typed?.trim() || undefined;
  }
  return chosen.value;
}

/**
 * The port a job uses: the one asked for, the remembered/configured one, a single known ESP
 * bridge, else the quick pick. Remembers what it picked.
 */
export async function resolvePort(ctx: Ctx, explicit: string | undefined, planChip?: ChipName): Promise<string | undefined> {
  if (explicit) return explicit;
  if (ctx.port) return ctx.port;
  const { ports } = await listPorts(ctx);
  const auto = autoPickPort(ports);
  if (auto) {
    ctx.log('info', `Using ${auto}: the only serial port with a known ESP USB bridge.`);
    await ctx.setPort(auto);
    return auto;
  }
  const picked = await pickPort(ctx, planChip);
  if (picked) await ctx.setPort(picked);
  return picked;
}
