import assert from 'node:assert/strict';
import { CrashDecoder, formatFrame } from '../../../src/core/monitor/crash_decoder';
import { frameLinkIn } from '../../../src/ui/frame_links';

describe('ui/frame_links: decoded crash frames in the monitor terminal link to file:line', () => {
  it('the monitor\'s frame lines (plain, PC/MEPC/RA, "(stack)") link their "file:line" part', () => {
    for (const role of [undefined, 'PC', 'MEPC', 'RA', '(stack)']) {
      const text = formatFrame({ addr: 0x400d1234, where: 'code', func: 'app_main', file: '/project/main/main.c', line: 12 }, role);
      const link = frameLinkIn(text);
      assert.ok(link, text);
      assert.equal(text.slice(link.startIndex, link.startIndex + link.length), '/project/main/main.c:12');
      assert.deepEqual({ file: link.file, line: link.line }, { file: '/project/main/main.c', line: 12 });
    }
  });

  it('Windows paths and trailing blanks (terminal rows) are kept whole', () => {
    const link = frameLinkIn('--- 0x42000abc: blink_task at C:\\esp\\blink\\main\\blink.c:40   ');
    assert.deepEqual(link && { file: link.file, line: link.line, length: link.length }, {
      file: 'C:\\esp\\blink\\main\\blink.c',
      line: 40,
      length: 'C:\\esp\\blink\\main\\blink.c:40'.length,
    });
  });

  it('no link for ROM addresses, frames without a line, notes, or chip lines', () => {
    const noLine = formatFrame({ addr: 0x400d1234, where: 'code', func: 'app_main' });
    for (const text of [
      '--- 0x40007d10: in ROM',
      noLine,
      '--- Crash addresses not decoded: no ELF file given (pass --elf FILE).',
      'I (12) app: main.c:12 at start',
      new CrashDecoder(undefined).line('x').join(''),
    ]) {
      assert.equal(frameLinkIn(text), undefined, text);
    }
  });
});
