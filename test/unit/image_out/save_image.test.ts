/**
 * `esp-flasher save-image`: ELF → app image byte-identical to esptool 4.12 elf2image (run from
 * ../shared/peers), a cargo project's app image as its plan makes it, an ESP-IDF project's app
 * file as is, and ELFs for another chip refused with no file left behind.
 */
import { strict as assert } from 'node:assert';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { EM_RISCV } from '../../../src/core/formats/elf';
import { parseImage } from '../../../src/core/formats/image_parse';
import { writeElf } from '../formats/elf_writer';
import { CORPUS, IMAGES, describeShared } from '../formats/shared_corpus';
import { tempDirs } from '../project/tmp_dirs';
import { cli } from './merge_cli_helpers';
import { itWithPeer, runPeer } from './peer_esptool';

const tmp = tempDirs();

const CASES = [
  { elf: 'esp32-bootloader.elf', chip: 'esp32', mode: 'dio', size: '2MB', freq: '40m' },
  { elf: 'esp32-bootloader.elf', chip: 'esp32', mode: 'qio', size: '16MB', freq: '80m' },
  { elf: 'esp32c6-appdesc.elf', chip: 'esp32c6', mode: 'dio', size: '4MB', freq: '80m' },
  { elf: 'esp32c6-appdesc.elf', chip: 'esp32c6', mode: 'dout', size: '8MB', freq: '20m' },
];

/** A cargo project for the C6 whose firmware ELF is esptool's esp32c6-appdesc.elf. */
function c6CargoProject(espflash?: string): string {
  const dir = tmp.make('cargo-');
  writeFileSync(path.join(dir, 'Cargo.toml'), '[package]\nname = "appdesc"\nversion = "0.1.0"\n');
  const out = path.join(dir, 'target', 'riscv32imac-unknown-none-elf', 'release');
  mkdirSync(out, { recursive: true });
  copyFileSync(path.join(IMAGES, 'esp32c6-appdesc.elf'), path.join(out, 'appdesc'));
  mkdirSync(path.join(dir, '.cargo'));
  writeFileSync(path.join(dir, '.cargo', 'config.toml'), '[target.riscv32imac-unknown-none-elf]\nrunner = "espflash flash --monitor --chip esp32c6"\n');
  if (espflash) writeFileSync(path.join(dir, 'espflash.toml'), espflash);
  return dir;
}

describeShared('save-image', () => {
  for (const c of CASES) {
    itWithPeer(`${c.elf} for ${c.chip}, ${c.mode}/${c.size}/${c.freq}: byte-identical to esptool 4.12 elf2image (../shared/peers)`, async () => {
      const dir = tmp.make();
      const ours = path.join(dir, 'ours.bin');
      const theirs = path.join(dir, 'esptool.bin');
      const r = await cli('save-image', path.join(IMAGES, c.elf), '--chip', c.chip, '--flash-mode', c.mode, '--flash-size', c.size, '--flash-freq', c.freq, '-o', ours);
      assert.equal(r.code, 0, r.err);
      runPeer('esptool.py', ['--chip', c.chip, 'elf2image', '--flash_mode', c.mode, '--flash_size', c.size, '--flash_freq', c.freq, '-o', theirs, path.join(IMAGES, c.elf)]);
      const a = readFileSync(ours);
      assert.ok(a.equals(readFileSync(theirs)), `differs from esptool elf2image (${a.length} vs ${readFileSync(theirs).length} bytes)`);
      assert.equal(parseImage(a).info?.hashAppended, true, 'SHA-256 appended');
      console.log(`      esptool 4.12 elf2image (../shared/peers): ${c.elf} ${c.mode}/${c.size}/${c.freq} identical, ${a.length} bytes`);
    });
  }

  itWithPeer("a cargo project: the plan's app image (espflash.toml [flash] settings) equals esptool elf2image of its ELF with those settings", async () => {
    const dir = c6CargoProject('[flash]\nmode = "qio"\nsize = "8MB"\nfrequency = "40m"\n');
    const ours = path.join(tmp.make(), 'app.bin');
    const r = await cli('save-image', dir, '-o', ours);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /rust build .* segment app \(.*appdesc\)/);
    const theirs = path.join(tmp.make(), 'esptool.bin');
    runPeer('esptool.py', [
      '--chip',
      'esp32c6',
      'elf2image',
      '--flash_mode',
      'qio',
      '--flash_size',
      '8MB',
      '--flash_freq',
      '40m',
      '-o',
      theirs,
      path.join(dir, 'target', 'riscv32imac-unknown-none-elf', 'release', 'appdesc'),
    ]);
    assert.ok(readFileSync(ours).equals(readFileSync(theirs)));
  });

  it('an ESP-IDF project: the app file the plan flashes, unchanged', async () => {
    const out = path.join(tmp.make(), 'app.bin');
    const r = await cli('save-image', path.join(CORPUS, '09-esp32c6-ota'), '-o', out);
    assert.equal(r.code, 0, r.err);
    assert.ok(readFileSync(out).equals(readFileSync(path.join(CORPUS, '09-esp32c6-ota', 'simple_ota.bin'))));
  });

  it('an ELF for another chip is refused, naming the file and the --chip to give; no file is left', async () => {
    const dir = tmp.make();
    const out = path.join(dir, 'app.bin');
    const other = await cli('save-image', path.join(IMAGES, 'esp32c6-appdesc.elf'), '--chip', 'esp32s3', '-o', out);
    assert.equal(other.code, 1);
    assert.match(
      other.err,
      /esp32c6-appdesc\.elf: ELF machine 243 is not Xtensa \(94\) as ESP32-S3 needs; was it built for another chip\? Give the chip it was built for \(esp32c2 \| esp32c3 \| esp32c5 \| esp32c6 \| esp32h2 \| esp32p4\)\. \(--chip CHIP\)/,
    );
    // Same CPU, other chip: a C3-linked .flash.rodata cannot be mapped by the C6.
    const c3elf = path.join(dir, 'c3.elf');
    writeFileSync(
      c3elf,
      writeElf(EM_RISCV, 0x42000020, [
        { name: '.flash.rodata', addr: 0x3c000020, data: new Uint8Array(64).fill(1) },
        { name: '.flash.text', addr: 0x42000020, data: new Uint8Array(64).fill(0x13) },
      ]),
    );
    const same = await cli('save-image', c3elf, '--chip', 'esp32c6', '-o', out);
    assert.equal(same.code, 1);
    assert.match(same.err, /c3\.elf: section \.flash\.rodata at 0x3c000020 is flash-mapped on ESP32-C2, ESP32-C3 but not on ESP32-C6; the ELF was linked for another chip\./);
    assert.match(same.err, /Give the chip it was built for \(esp32c2\), or build it for esp32c6\. \(--chip CHIP\)/);
    assert.equal((await cli('save-image', c3elf, '--chip', 'esp32c3', '-o', out)).code, 0, 'the right chip converts it');
    const project = await cli('save-image', c6CargoProject(), '--chip', 'esp32s3', '-o', path.join(dir, 'p.bin'));
    assert.equal(project.code, 1);
    assert.match(project.err, /ELF machine 243 is not Xtensa \(94\) as ESP32-S3 needs/);
    assert.equal(existsSync(path.join(dir, 'p.bin')), false);
  });

  it('usage: an ELF needs --chip; a project takes no --flash-* (its own settings apply); -o is required', async () => {
    assert.match(
      (await cli('save-image', path.join(IMAGES, 'esp32c6-appdesc.elf'), '-o', '/tmp/x.bin')).err,
      /an ELF does not say which chip it is for; give --chip \(esp32c2, esp32c3, esp32c5, esp32c6, esp32h2, esp32p4\)/,
    );
    assert.match((await cli('save-image', path.join(CORPUS, '09-esp32c6-ota'), '-o', '/tmp/x.bin', '--flash-mode', 'qio')).err, /--flash-mode applies to an ELF/);
    assert.match((await cli('save-image', path.join(CORPUS, '09-esp32c6-ota'))).err, /save-image needs the file to write: -o app\.bin/);
  });
});
