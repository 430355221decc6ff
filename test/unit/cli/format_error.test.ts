import { strict as assert } from 'node:assert';
import { cliAdvice, formatError } from '../../../src/cli/format_error';
import { StubStartError } from '../../../src/core/protocol/stub_upload';
import { InputError } from '../../../src/core/errors';

describe('cli format_error: the CLI words its own flags', () => {
  it('a stub that did not start: the core says what to do, the CLI names --no-stub and --stub-dir', () => {
    const e = new StubStartError('esp32c3.json', 'no-greeting', 'The flasher stub (esp32c3.json) did not start.');
    assert.doesNotMatch(e.message, /--/);
    assert.equal(
      formatError(e),
      'Error: The flasher stub (esp32c3.json) did not start. Flash without the stub (through the ROM loader), or use another stub folder. ' +
        '(--no-stub flashes through the ROM loader; --stub-dir DIR uses another stub folder.) (run with --debug for details)',
    );
    // Wrapped as the cause of another error, by class too.
    assert.match(formatError(new Error('Connecting failed.', { cause: e })), /\(--no-stub flashes through the ROM loader/);
  });

  it('other classes get no flag words', () => {
    assert.equal(cliAdvice('InputError'), undefined);
    assert.equal(formatError(new InputError('Unknown chip "esp99".')), 'Error: Unknown chip "esp99". (run with --debug for details)');
  });
});
