import { strict as assert } from 'node:assert';
import { COMMANDS, mainUsage, runCli, version, type CommandEntry } from '../../../src/cli/main';
import { UsageError } from '../../../src/cli/args';

async function cli(argv: string[], commands?: CommandEntry[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, commands);
  return { code, out, err };
}

const fake = (name: string, run: (args: string[], out: (l: string) => void) => Promise<number>): CommandEntry => ({
  name,
  summary: 'test',
  load: () => ({ run, usage: `Usage: esp-flasher ${name}` }),
});

describe('cli main dispatcher', () => {
  it('lists every command in the usage text', () => {
    const text = mainUsage();
    for (const c of COMMANDS) assert.ok(text.includes(`  ${c.name} `), c.name);
    for (const name of ['flash', 'info', 'read', 'erase', 'verify', 'plan', 'partitions', 'image-info', 'encrypt-image', 'decrypt-image', 'generate-key']) {
      assert.ok(
        COMMANDS.some((c) => c.name === name),
        name,
      );
    }
  });

  it('prints usage with exit 2 when no command is given, 0 for --help', async () => {
    assert.equal((await cli([])).code, 2);
    const r = await cli(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.out.join('\n'), /^Usage: esp-flasher <command>/);
  });

  it('prints the package version', async () => {
    const r = await cli(['--version']);
    assert.deepEqual(r.out, [`esp-flasher ${version()}`]);
    assert.match(version(), /^\d+\.\d+\.\d+/);
  });

  it('names an unknown command and suggests a close one', async () => {
    const r = await cli(['flsh']);
    assert.equal(r.code, 2);
    assert.equal(r.err[0], 'esp-flasher: unknown command "flsh". Did you mean "flash"? Run "esp-flasher --help" for the list.');
    const none = await cli(['zzzzzzzzzz']);
    assert.equal(none.err[0], 'esp-flasher: unknown command "zzzzzzzzzz". Run "esp-flasher --help" for the list.');
    const s = await cli(['era']);
    assert.match(s.err[0], /Did you mean "erase"\?/);
  });

  it('says a command is not available when its module is missing from the build', async () => {
    const missing: CommandEntry = { name: 'plan', summary: 'x', load: () => require('./no_such_module_for_this_test') };
    const r = await cli(['plan', 'build'], [missing]);
    assert.equal(r.code, 1);
    assert.match(r.err[0], /^esp-flasher: the "plan" command is not available in this build/);
  });

  it("prints a command's usage for --help without running it", async () => {
    let ran = false;
    const r = await cli(['x', '--help'], [fake('x', async () => ((ran = true), 0))]);
    assert.equal(r.code, 0);
    assert.deepEqual(r.out, ['Usage: esp-flasher x']);
    assert.equal(ran, false);
    const h = await cli(['help', 'x'], [fake('x', async () => 0)]);
    assert.deepEqual(h.out, ['Usage: esp-flasher x']);
  });

  it('passes the exit code through and turns throws into one paragraph', async () => {
    assert.equal((await cli(['x', 'a'], [fake('x', async (args) => (args[0] === 'a' ? 3 : 0))])).code, 3);
    const boom = await cli(
      ['x'],
      [
        fake('x', async () => {
          throw new Error('The port /dev/ttyUSB0 is busy.', { cause: new Error('EBUSY') });
        }),
      ],
    );
    assert.equal(boom.code, 1);
    assert.equal(boom.err.length, 1);
    assert.equal(boom.err[0], 'Error: The port /dev/ttyUSB0 is busy. (cause: EBUSY) (run with --debug for details)');
    assert.ok(!boom.err[0].includes('    at '), 'no stack trace without --debug');
    const debug = await cli(
      ['x', '--debug'],
      [
        fake('x', async () => {
          throw new Error('bad');
        }),
      ],
    );
    assert.match(debug.err[0], /    at /);
  });

  it('reports usage errors with exit code 2', async () => {
    const r = await cli(
      ['x'],
      [
        fake('x', async () => {
          throw new UsageError('Option --baud needs a value (BAUD).');
        }),
      ],
    );
    assert.equal(r.code, 2);
    assert.deepEqual(r.err, ['esp-flasher x: Option --baud needs a value (BAUD).']);
  });
});
