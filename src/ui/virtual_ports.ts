/**
 * Virtual chips offered by the port picker for dry runs ("virtual:<chip>[:option=value…]";
 * the core starts the virtual chip behind a pseudo-terminal). No vscode here.
 */
import { CHIP_NAMES, chipFacts, type ChipName } from '../core/chips';

export const VIRTUAL_PREFIX = 'virtual:';

export interface VirtualPortChoice {
  path: string;
  label: string;
  description: string;
}

export function isVirtualPort(port: string): boolean {
  return port.startsWith(VIRTUAL_PREFIX);
}

/**
 * One plain virtual chip per chip in the table; for the plan's chip (listed first) also one
 * with development-mode flash encryption, when the chip can encrypt flash at all.
 */
export function virtualPortChoices(planChip?: ChipName): VirtualPortChoice[] {
  const order = planChip ? [planChip, ...CHIP_NAMES.filter((c) => c !== planChip)] : [...CHIP_NAMES];
  const out: VirtualPortChoice[] = [];
  for (const chip of order) {
    const facts = chipFacts(chip);
    out.push({
      path: `${VIRTUAL_PREFIX}${chip}`,
      label: `Virtual ${facts.displayName}`,
      description: 'dry run: a simulated chip, nothing leaves this computer',
    });
    if (chip === planChip && facts.cryptScheme !== 'none') {
      out.push({
        path: `${VIRTUAL_PREFIX}${chip}:encryption=development`,
        label: `Virtual ${facts.displayName}, flash encryption on`,
        description: 'dry run: simulated chip in development-mode flash encryption',
      });
    }
  }
  return out;
}
