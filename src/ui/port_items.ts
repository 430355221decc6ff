/**
 * The port picker's list, in the order an ESP developer looks for a board: the current port
 * (preselected), known ESP USB bridges with their names, the other serial ports, "Enter a port
 * path…", and one "Virtual chip…" entry that opens the list of simulated chips. No vscode here.
 */
import { normalizeChipName, type ChipName } from '../core/chips';
import { rankPorts, type ListedPort } from './usb_bridges';
import { isVirtualPort, virtualPortChoices } from './virtual_ports';

export const ENTER_PATH = '__enter__';
export const VIRTUAL_CHIP = '__virtual__';

export interface PortItem {
  /** A separator's title, or an item's label (codicons allowed). */
  label: string;
  separator?: boolean;
  description?: string;
  detail?: string;
  /** Port path, ENTER_PATH or VIRTUAL_CHIP; '' for the "no ports" line. */
  value?: string;
  /** The item shown selected when the picker opens (the current port). */
  active?: boolean;
  /** Multi-select picker: checked when it opens (chosen last time). */
  picked?: boolean;
}

export function portPickItems(ports: ListedPort[], current: string | undefined, listError?: string): PortItem[] {
  const ranked = rankPorts(ports);
  const bridges = ranked.filter((p) => p.bridge);
  const others = ranked.filter((p) => !p.bridge);
  const items: PortItem[] = [];
  const listed = ranked.some((p) => p.path === current);
  if (current && !listed) {
    // A pseudo-terminal, a symlink or a virtual chip: list() does not show it, so it leads.
    items.push({ label: 'Current port', separator: true });
    items.push({
      label: `$(check) ${isVirtualPort(current) ? virtualLabel(current) : current}`,
      description: isVirtualPort(current) ? current : 'not listed by the system (a pseudo-terminal or symlink?)',
      value: current,
      active: true,
    });
  }
  items.push({ label: 'ESP boards (known USB bridges)', separator: true });
  if (bridges.length === 0) {
    items.push({ label: '$(info) No ESP board found', description: listError ?? 'plug the board in; a data-capable USB cable is needed', value: '' });
  }
  for (const p of bridges) {
    items.push({
      label: `$(circuit-board) ${p.path}`,
      description: p.description,
      detail: p.path === current ? 'current port' : undefined,
      value: p.path,
      active: p.path === current,
    });
  }
  if (others.length) {
    items.push({ label: 'Other serial ports', separator: true });
    for (const p of others) {
      items.push({ label: `$(plug) ${p.path}`, description: p.description, detail: p.path === current ? 'current port' : undefined, value: p.path, active: p.path === current });
    }
  }
  items.push({ label: 'More', separator: true });
  items.push({ label: '$(edit) Enter a port path…', description: 'a port the system does not list (a pseudo-terminal, a symlink)', value: ENTER_PATH });
  items.push({ label: '$(beaker) Virtual chip…', description: 'a simulated chip for a dry run: nothing leaves this computer', value: VIRTUAL_CHIP });
  return items;
}

/** "Virtual ESP32-S3, flash encryption on (flash=8MB)" for "virtual:esp32s3:encryption=development:flash=8MB"; the path when unknown. */
export function virtualLabel(port: string): string {
  const [, chipToken, ...options] = port.split(':');
  const chip = chipToken ? normalizeChipName(chipToken) : undefined;
  if (!chip) return port;
  const plain = virtualPortChoices(chip).find((v) => v.path === `virtual:${chip}`)!;
  let label = plain.label;
  const rest: string[] = [];
  for (const o of options) {
    const enc = /^(?:enc|encryption)=(\w+)$|^(dev|development|release)$/.exec(o);
    const mode = enc?.[1] ?? enc?.[2];
    if (mode === 'development' || mode === 'dev') label += ', flash encryption on';
    else if (mode === 'release') label += ', flash encryption release';
    else if (mode !== 'off' && o) rest.push(o);
  }
  return rest.length ? `${label} (${rest.join(', ')})` : label;
}

/** The second list, behind "Virtual chip…": the plan's chip first (plain and with flash encryption), then the rest. */
export function virtualChipItems(planChip: ChipName | undefined, current: string | undefined): PortItem[] {
  return virtualPortChoices(planChip).map((v) => ({ label: `$(beaker) ${v.label}`, description: v.description, detail: v.path, value: v.path, active: v.path === current }));
}

/**
 * Flash All's multi-select list: the ports chosen last time (checked; those the system does not
 * list first), known ESP bridges, other serial ports, every virtual chip the single picker
 * offers (listed directly: a multi-select pick has no second list), and "Enter port paths…".
 */
export function portManyItems(ports: ListedPort[], planChip: ChipName | undefined, chosen: readonly string[]): PortItem[] {
  const ranked = rankPorts(ports);
  const virtual = virtualPortChoices(planChip);
  const known = new Set([...ranked.map((p) => p.path), ...virtual.map((v) => v.path)]);
  const picked = new Set(chosen);
  const items: PortItem[] = [];
  const elsewhere = chosen.filter((p) => !known.has(p));
  if (elsewhere.length) {
    items.push({ label: 'Chosen last time', separator: true });
    for (const p of elsewhere) {
      items.push({
        label: `$(check) ${isVirtualPort(p) ? virtualLabel(p) : p}`,
        description: isVirtualPort(p) ? p : 'not listed by the system (a pseudo-terminal or symlink?)',
        value: p,
        picked: true,
      });
    }
  }
  // A multi-select pick gives every row a checkbox: "no board found" goes in the placeholder (manyPlaceholder), not in a row.
  items.push({ label: 'ESP boards (known USB bridges)', separator: true });
  for (const p of ranked.filter((x) => x.bridge)) items.push({ label: `$(circuit-board) ${p.path}`, description: p.description, value: p.path, picked: picked.has(p.path) });
  const others = ranked.filter((x) => !x.bridge);
  if (others.length) {
    items.push({ label: 'Other serial ports', separator: true });
    for (const p of others) items.push({ label: `$(plug) ${p.path}`, description: p.description, value: p.path, picked: picked.has(p.path) });
  }
  items.push({ label: 'Virtual chips (dry run: nothing leaves this computer)', separator: true });
  for (const v of virtual) items.push({ label: `$(beaker) ${v.label}`, description: v.path, value: v.path, picked: picked.has(v.path) });
  items.push({ label: 'More', separator: true });
  items.push({ label: '$(edit) Enter port paths…', description: 'ports the system does not list (pseudo-terminals, symlinks, virtual:… specs)', value: ENTER_PATH });
  return items;
}

/** The multi-select picker's placeholder: how to check, and that no ESP board was found (or why the list failed). */
export function manyPlaceholder(ports: ListedPort[], listError?: string): string {
  const how = 'Check every board to flash (Space checks, Enter starts)';
  if (listError) return `${how}. ${listError}`;
  return rankPorts(ports).some((p) => p.bridge) ? how : `${how}. No ESP board found: plug the boards in (data-capable USB cables), or check virtual chips.`;
}

/** Port paths typed in one box: separated by commas, semicolons or white space; each once, in order. */
export function splitPortList(text: string): string[] {
  const out: string[] = [];
  for (const p of text.split(/[\s,;]+/)) if (p && !out.includes(p)) out.push(p);
  return out;
}
