/**
 * Choosing the serial port: a quick pick of SerialPort.list() (port_items.ts orders it: the
 * current port preselected, known ESP bridges with their names, other ports, "enter a path",
 * one "Virtual chip…" entry); a single known ESP port is taken without asking. The choice is
 * remembered per workspace.
 */
import * as vscode from 'vscode';
import type { ChipName } from '../core/chips';
import type { Ctx } from './ctx';
import { errorText } from './error_advice';
import { ENTER_PATH, VIRTUAL_CHIP, manyPlaceholder, portManyItems, portPickItems, splitPortList, virtualChipItems, type PortItem } from './port_items';
import { autoPickPort, type ListedPort } from './usb_bridges';

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

type PickItem = vscode.QuickPickItem & { value?: string; active?: boolean };

function toPickItems(items: PortItem[]): PickItem[] {
  return items.map((i) =>
    i.separator
      ? { label: i.label, kind: vscode.QuickPickItemKind.Separator }
      : { label: i.label, description: i.description, detail: i.detail, value: i.value, active: i.active, picked: i.picked },
  );
}

export async function pickPort(ctx: Ctx, planChip?: ChipName): Promise<string | undefined> {
  const { ports, error } = await listPorts(ctx);
  const current = ctx.port;
  const chosen = await ctx.prompter.pick(toPickItems(portPickItems(ports, current, error)), {
    title: 'ESP Flasher: Select Port',
    placeHolder: current ? `Current: ${current}` : 'Pick the board’s serial port',
    matchOnDescription: true,
  });
  if (!chosen || chosen.value === '') return undefined;
  if (chosen.value === VIRTUAL_CHIP) {
    const v = await ctx.prompter.pick(toPickItems(virtualChipItems(planChip, current)), {
      title: 'ESP Flasher: Virtual Chip',
      placeHolder: 'A simulated chip for a dry run (nothing leaves this computer)',
      matchOnDescription: true,
      matchOnDetail: true,
    });
    return v?.value;
  }
  if (chosen.value === ENTER_PATH) {
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

/**
 * Flash All's ports: a multi-select pick (port_items.ts portManyItems) with last time's ports
 * checked; "Enter port paths…" adds typed paths. Undefined when dismissed; [] when nothing checked.
 */
export async function pickPorts(ctx: Ctx, planChip: ChipName | undefined, chosenBefore: readonly string[]): Promise<string[] | undefined> {
  const { ports, error } = await listPorts(ctx);
  const chosen = await ctx.prompter.pickMany(toPickItems(portManyItems(ports, planChip, chosenBefore)), {
    title: 'ESP Flasher: Flash All — choose the ports',
    placeHolder: manyPlaceholder(ports, error),
    matchOnDescription: true,
  });
  if (!chosen) return undefined;
  const paths = chosen.map((c) => c.value).filter((v): v is string => !!v && v !== ENTER_PATH);
  if (chosen.some((c) => c.value === ENTER_PATH)) {
    const typed = await ctx.prompter.input({
      title: 'ESP Flasher: Port Paths',
      prompt: 'Serial port paths (/dev/ttyUSB0, /dev/pts/3, COM3) or virtual:<chip> specs, separated by commas or spaces',
      validateInput: (v) => (splitPortList(v).length ? undefined : 'Enter at least one port path.'),
    });
    if (typed === undefined) return undefined;
    for (const p of splitPortList(typed)) if (!paths.includes(p)) paths.push(p);
  }
  return paths;
}
