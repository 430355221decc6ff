/**
 * The manifest (package.json `contributes`) and the code agree: every command a menu, a
 * welcome view or the walkthrough names is declared and registered, every setting the code
 * reads is declared, and item-only commands are hidden from the palette.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const c = pkg.contributes;
const declared = new Set<string>(c.commands.map((x: { command: string }) => x.command));
const table = fs.readFileSync(path.join(ROOT, 'src/ui/commands.ts'), 'utf8');
const configTs = fs.readFileSync(path.join(ROOT, 'src/ui/config.ts'), 'utf8');

describe('ui/manifest', () => {
  it('registers exactly the declared commands', () => {
    const registered = new Set([...table.matchAll(/'(espFlasher\.[A-Za-z]+)':/g)].map((m) => m[1]));
    assert.deepEqual([...registered].sort(), [...declared].sort());
  });

  it('names only declared commands in menus, welcome views and the walkthrough', () => {
    const used = new Set<string>();
    for (const list of Object.values(c.menus) as Array<Array<{ command: string }>>) for (const m of list) used.add(m.command);
    const text = JSON.stringify(c.viewsWelcome) + JSON.stringify(c.walkthroughs);
    for (const m of text.matchAll(/command:(espFlasher\.[A-Za-z.]+)/g)) used.add(m[1]);
    const views = new Set<string>(c.views.espFlasher.map((v: { id: string }) => `${v.id}.focus`));
    for (const id of used) assert.ok(declared.has(id) || views.has(id), `${id} is used but not declared`);
  });

  it('hides item-only commands from the palette and gives every command a category and an icon', () => {
    const hidden = new Set(c.menus.commandPalette.filter((m: { when: string }) => m.when === 'false').map((m: { command: string }) => m.command));
    for (const id of ['espFlasher.flashSegment', 'espFlasher.flashSegmentEncrypted', 'espFlasher.revealFile', 'espFlasher.erasePartition']) {
      assert.ok(hidden.has(id), `${id} should be hidden from the palette`);
    }
    for (const cmd of c.commands) {
      assert.equal(cmd.category, 'ESP Flasher', cmd.command);
      assert.match(cmd.icon, /^\$\([a-z-]+\)$/, cmd.command);
    }
  });

  it('declares every setting config.ts reads, with a scope', () => {
    const keys = [...configTs.matchAll(/^\s+\w+: '([\w.]+)',$/gm)].map((m) => `espFlasher.${m[1]}`);
    assert.ok(keys.length >= 13, `read ${keys.length} keys from config.ts`);
    for (const k of keys) {
      assert.ok(c.configuration.properties[k], `${k} is read but not declared`);
      assert.ok(c.configuration.properties[k].scope, `${k} has no scope`);
    }
    assert.deepEqual(c.configuration.properties['espFlasher.baud'].enum, [115200, 230400, 460800, 921600, 1500000, 2000000]);
  });

  it('keeps activation lazy and flashing out of untrusted workspaces', () => {
    assert.ok(!pkg.activationEvents.includes('*'));
    assert.ok(!pkg.activationEvents.includes('onStartupFinished'));
    assert.ok(pkg.activationEvents.includes('workspaceContains:**/flasher_args.json'));
    assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
    for (const id of ['espFlasher.flash', 'espFlasher.flashEncrypted', 'espFlasher.eraseFlash']) {
      const cmd = c.commands.find((x: { command: string }) => x.command === id);
      assert.match(cmd.enablement, /isWorkspaceTrusted/, id);
    }
    assert.equal(pkg.main, './dist/extension.js');
    assert.ok(fs.existsSync(path.join(ROOT, pkg.icon)), 'icon file exists');
    assert.ok(fs.existsSync(path.join(ROOT, c.viewsContainers.activitybar[0].icon)), 'activity bar icon exists');
    for (const step of c.walkthroughs[0].steps) assert.ok(fs.existsSync(path.join(ROOT, step.media.markdown)), step.media.markdown);
  });

  it('allow-lists the VSIX contents', () => {
    const lines = fs
      .readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8')
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    assert.equal(lines[0], '**', 'starts by excluding everything');
    for (const keep of ['!dist/extension.js', '!dist/cli.js', '!dist/deflate_worker.js', '!dist/prebuilds/**', '!dist/stubs/**', '!media/**', '!package.json']) {
      assert.ok(lines.includes(keep), `.vscodeignore keeps ${keep}`);
    }
  });
});
