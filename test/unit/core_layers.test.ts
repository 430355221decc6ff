/**
 * The sealed core (issue 12, design item 6): the project's ESLint config refuses an import of
 * vscode, the editor layer, the CLI or the virtual chip from src/core, and only from there.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { ESLint } from 'eslint';

const ROOT = path.resolve(__dirname, '../..');
const IMPORTS = [
  "import * as vscode from 'vscode';",
  "import { VirtualChip } from '../../sim/virtual_chip';",
  "import { parseArgs } from '../../cli/args';",
  "import { planRows } from '../../ui/plan_rows';",
  "import { activate } from '../../extension';",
];
const CODE = `${IMPORTS.join('\n')}\nexport const all = [vscode, VirtualChip, parseArgs, planRows, activate];\n`;

describe('the core layer rule (eslint.config.mjs)', function () {
  this.timeout(60_000);
  const eslint = new ESLint({ cwd: ROOT });
  const restricted = async (file: string) => {
    const [r] = await eslint.lintText(CODE, { filePath: path.join(ROOT, file) });
    return r.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.line);
  };

  it('refuses each of vscode, src/sim, src/cli, src/ui and src/extension in src/core', async () => {
    assert.deepEqual(await restricted('src/core/flash/layer_probe.ts'), [1, 2, 3, 4, 5]);
  });

  it('allows them outside src/core', async () => {
    assert.deepEqual(await restricted('src/ui/commands/layer_probe.ts'), []);
  });
});
