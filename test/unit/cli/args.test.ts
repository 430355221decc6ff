import { strict as assert } from 'node:assert';
import { Options, UsageError, formatOptionHelp, parseArgs, parseNumber, suggestOption, type OptionSpec } from '../../../src/cli/args';

const SPECS: OptionSpec[] = [
  { name: 'baud', short: 'b', kind: 'value', valueName: 'BAUD', help: 'baud rate' },
  { name: 'no-verify', kind: 'flag', help: 'skip verify' },
  { name: 'region', kind: 'value', arity: 2, valueName: 'OFFSET SIZE', help: 'erase a region' },
  { name: 'encrypt-files', kind: 'list', multipleOf: 2, valueName: 'OFFSET FILE', help: 'encrypted pairs' },
  { name: 'tag', kind: 'value', repeatable: true, help: 'repeatable' },
];

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof UsageError, `expected UsageError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a UsageError');
}

describe('cli args parser', () => {
  it('splits options, flags and positionals in any order', () => {
    const p = parseArgs(['build', '--baud', '921600', '--no-verify', 'x'], SPECS, 'flash');
    assert.deepEqual(p.positionals, ['build', 'x']);
    assert.deepEqual(p.options.get('baud'), ['921600']);
    assert.deepEqual(p.options.get('no-verify'), []);
  });

  it('accepts --name=value and short aliases', () => {
    const p = parseArgs(['--baud=115200'], SPECS, 'flash');
    assert.deepEqual(p.options.get('baud'), ['115200']);
    const q = parseArgs(['-b', '460800'], SPECS, 'flash');
    assert.deepEqual(q.options.get('baud'), ['460800']);
  });

  it('takes a fixed number of values for arity-2 options', () => {
    const p = parseArgs(['--region', '0x1000', '0x2000', 'rest'], SPECS, 'erase');
    assert.deepEqual(p.options.get('region'), ['0x1000', '0x2000']);
    assert.deepEqual(p.positionals, ['rest']);
  });

  it('collects list options up to the next option', () => {
    const p = parseArgs(['0x0', 'a.bin', '--encrypt-files', '0x10000', 'app.bin', '0x8000', 'pt.bin', '--no-verify'], SPECS, 'flash');
    assert.deepEqual(p.options.get('encrypt-files'), ['0x10000', 'app.bin', '0x8000', 'pt.bin']);
    assert.deepEqual(p.positionals, ['0x0', 'a.bin']);
    assert.ok(p.options.has('no-verify'));
  });

  it('treats everything after -- as positionals', () => {
    const p = parseArgs(['--', '--baud', 'x'], SPECS, 'flash');
    assert.deepEqual(p.positionals, ['--baud', 'x']);
    assert.equal(p.options.size, 0);
  });

  it('reports --help as the "help" option', () => {
    assert.ok(parseArgs(['-h'], SPECS, 'flash').options.has('help'));
    assert.ok(parseArgs(['--help'], SPECS, 'flash').options.has('help'));
  });

  it('names an unknown option, suggests the closest one and points to --help', () => {
    const e = usageError(() => parseArgs(['--bauds', '1'], SPECS, 'flash'));
    assert.equal(e.message, 'Unknown option --bauds for "flash". Did you mean --baud? Run "esp-flasher flash --help" for the options.');
    const f = usageError(() => parseArgs(['--zzzzzzzz'], SPECS, 'flash'));
    assert.ok(!f.message.includes('Did you mean'), f.message);
    usageError(() => parseArgs(['-x'], SPECS, 'flash'));
  });

  it('says which value is missing', () => {
    assert.match(usageError(() => parseArgs(['--baud'], SPECS, 'flash')).message, /^Option --baud needs a value \(BAUD\)\./);
    assert.match(usageError(() => parseArgs(['--baud', '--no-verify'], SPECS, 'flash')).message, /--baud needs a value/);
    assert.match(usageError(() => parseArgs(['--region', '0x1000'], SPECS, 'erase')).message, /--region needs 2 values \(OFFSET SIZE\), got only 1/);
    assert.match(usageError(() => parseArgs(['--baud='], SPECS, 'flash')).message, /--baud needs a value/);
  });

  it('rejects odd pair lists, values on flags and repeated single options', () => {
    assert.match(usageError(() => parseArgs(['--encrypt-files', '0x1000'], SPECS, 'flash')).message, /--encrypt-files takes OFFSET FILE in groups of 2; got 1 word\(s\): 0x1000/);
    assert.match(usageError(() => parseArgs(['--encrypt-files'], SPECS, 'flash')).message, /needs at least one value/);
    assert.match(usageError(() => parseArgs(['--no-verify=yes'], SPECS, 'flash')).message, /--no-verify takes no value/);
    assert.match(usageError(() => parseArgs(['--baud', '1', '--baud', '2'], SPECS, 'flash')).message, /--baud was given twice/);
    assert.deepEqual(parseArgs(['--tag', 'a', '--tag', 'b'], SPECS, 'flash').options.get('tag'), ['a', 'b']);
  });

  it('parses offsets and sizes in hex, decimal and K/M', () => {
    assert.equal(parseNumber('0x10000', 'offset'), 0x10000);
    assert.equal(parseNumber('4096', 'offset'), 4096);
    assert.equal(parseNumber('64K', 'size'), 65536);
    assert.equal(parseNumber('1M', 'size'), 1048576);
    assert.equal(usageError(() => parseNumber('12abc', 'offset')).message, 'offset: "12abc" is not a number; write it as 0x10000, 65536 or 64K.');
    assert.match(usageError(() => parseNumber('0x100000000', 'offset')).message, /out of range/);
  });

  it('checks choices and accepts esptool 4 underscores', () => {
    const o = new Options(parseArgs(['--baud', 'no_reset'], SPECS, 'flash'), 'flash');
    assert.equal(o.choice('baud', ['no-reset', 'hard-reset'] as const), 'no-reset');
    const bad = new Options(parseArgs(['--baud', 'sometimes'], SPECS, 'flash'), 'flash');
    assert.match(usageError(() => bad.choice('baud', ['no-reset', 'hard-reset'] as const)).message, /--baud: "sometimes" is not one of no-reset, hard-reset/);
  });

  it('suggests the hyphenated name for an underscored option', () => {
    assert.equal(suggestOption('no_verify', SPECS), 'no-verify');
  });

  it('formats help with aligned option names', () => {
    const lines = formatOptionHelp(SPECS.slice(0, 2));
    assert.equal(lines[0].indexOf('baud rate'), lines[1].indexOf('skip verify'));
    assert.ok(lines[0].startsWith('  -b, --baud BAUD'));
  });
});
