import { strict as assert } from 'node:assert';
import { parseFlashArgsFile } from '../../../src/core/project/idf_flash_args_file';
import { parseFlasherArgsJson } from '../../../src/core/project/idf_flasher_args_json';
import { envOption, parsePlatformioIni } from '../../../src/core/project/platformio_ini';
import { flashEncryptionMode, parseSdkconfigJson, parseSdkconfigText } from '../../../src/core/project/sdkconfig';
import { parseTomlLite, tomlGet } from '../../../src/core/project/toml_lite';

const msgs = (ps: { message: string }[]) => ps.map((p) => p.message);

describe('flasher_args.json formats', () => {
  it('IDF 4.1: partition_table key, no encrypted fields, "stub": "TRUE"', () => {
    const j = parseFlasherArgsJson(
      JSON.stringify({
        write_flash_args: ['--flash_mode', 'dio', '--flash_size', 'detect', '--flash_freq', '40m'],
        flash_settings: { flash_mode: 'dio', flash_size: 'detect', flash_freq: '40m' },
        flash_files: { '0x8000': 'partition_table/partition-table.bin', '0x1000': 'bootloader/bootloader.bin', '0x10000': 'app.bin' },
        partition_table: { offset: '0x8000', file: 'partition_table/partition-table.bin' },
        app: { offset: '0x10000', file: 'app.bin' },
        extra_esptool_args: { after: 'hard_reset', before: 'default_reset', stub: 'TRUE', chip: 'esp32' },
      }),
      'fa.json',
    );
    assert.deepEqual(j.problems, []);
    assert.equal(j.stub, true);
    assert.equal(j.after, 'hard-reset');
    assert.equal(j.before, 'default-reset');
    assert.deepEqual(
      j.images.map((i) => [i.name, i.offset, i.encrypted]),
      [
        ['partition-table', 0x8000, undefined],
        ['app', 0x10000, undefined],
      ],
    );
    assert.deepEqual(
      j.flashFiles?.map((f) => f.offset),
      [0x8000, 0x1000, 0x10000],
    );
    assert.deepEqual([j.mode, j.size, j.freq, j.settingsField], ['dio', 'detect', '40m', 'flash_settings']);
  });

  it('IDF 6: hyphenated options without flash_settings; encrypted strings and booleans', () => {
    const j = parseFlasherArgsJson(
      JSON.stringify({
        write_flash_args: ['--flash-mode', 'dio', '--flash-size', '2MB', '--flash-freq', '80m'],
        flash_files: { '0x2000': 'bootloader/bootloader.bin' },
        bootloader: { offset: '0x2000', file: 'bootloader/bootloader.bin', encrypted: 'true' },
        www: { offset: '0x110000', file: 'www.bin', encrypted: false },
        extra_esptool_args: { after: 'hard-reset', before: 'default-reset', stub: true, chip: 'esp32c5' },
      }),
      'fa.json',
    );
    assert.deepEqual(j.problems, []);
    assert.deepEqual([j.mode, j.size, j.freq, j.settingsField], ['dio', '2MB', '80m', 'write_flash_args']);
    assert.deepEqual(
      j.images.map((i) => [i.name, i.encrypted]),
      [
        ['bootloader', true],
        ['www', false],
      ],
    );
  });

  it('truncated JSON: one error naming line and column, no exception', () => {
    const text = '{\n  "flash_files" : {\n    "0x0" : "bootloader.bin",\n';
    const j = parseFlasherArgsJson(text, '/b/flasher_args.json');
    assert.equal(j.problems.length, 1);
    assert.equal(j.problems[0].severity, 'error');
    assert.match(j.problems[0].message, /^\/b\/flasher_args\.json is not valid JSON( at line \d+ column \d+)? \(.+\)\. The file is truncated or damaged; re-run the build/);
    assert.match(parseFlasherArgsJson('[1,2]', 'a.json').problems[0].message, /expected a JSON object at the top level, found an array/);
  });

  it('wrong types and empty keys become warnings naming the field', () => {
    const j = parseFlasherArgsJson(
      JSON.stringify({
        flash_settings: { flash_mode: 3, flash_size: '4MB', flash_freq: '' },
        flash_files: { '0x1000': 'boot.bin', '': '', '0x2000': 42, zz: 'x.bin' },
        app: { offset: 65536, file: 'app.bin', encrypted: 'maybe' },
        storage: { offset: '', file: '' },
        broken: 'not an object',
        bad_offset: { offset: 'here', file: 'x.bin' },
        extra_esptool_args: { stub: 'sometimes', chip: 5 },
      }),
      'f.json',
    );
    assert.ok(j.problems.every((p) => p.severity === 'warning'));
    assert.deepEqual(msgs(j.problems), [
      'f.json: flash_settings.flash_mode should be a non-empty string, found 3; ignored.',
      'f.json: flash_settings.flash_freq should be a non-empty string, found ""; ignored.',
      'f.json: flash_files has an empty entry ("": ""); ignored.',
      'f.json: flash_files.0x2000 should be a file path string, found 42; ignored.',
      'f.json: flash_files key "zz" is not an offset; entry ignored.',
      'f.json: "app".encrypted should be "true" or "false", found "maybe"; treated as absent.',
      'f.json: "storage" has an empty offset or file; ignored.',
      'f.json: "broken" should be an object {offset, file, encrypted}, found "not an object"; ignored.',
      'f.json: "bad_offset".offset "here" is not an offset such as "0x10000"; entry ignored.',
      'f.json: extra_esptool_args.chip should be a string, found 5; ignored.',
      'f.json: extra_esptool_args.stub should be true or false, found "sometimes"; ignored.',
    ]);
    assert.deepEqual(j.flashFiles, [{ offset: 0x1000, file: 'boot.bin' }]);
    assert.deepEqual(j.images, [{ name: 'app', offset: 0x10000, file: 'app.bin' }]);
    assert.equal(j.size, '4MB');
  });
});

describe('*flash_args files', () => {
  it('plain files first, then --encrypt-files (IDF 5 encrypted_flash_args)', () => {
    const a = parseFlashArgsFile(
      '--flash_mode dio --flash_freq 80m --flash_size 8MB  0x120000 storage.bin\n--encrypt-files\n0x0 bootloader/bootloader.bin\n0x20000 app.bin\n0x8000 partition_table/partition-table.bin\n',
      'encrypted_flash_args',
    );
    assert.deepEqual(a.problems, []);
    assert.equal(a.encryptAll, false);
    assert.deepEqual(
      a.pairs.map((p) => [p.offset, p.file, p.encrypt, p.line]),
      [
        [0x120000, 'storage.bin', false, 1],
        [0x0, 'bootloader/bootloader.bin', true, 3],
        [0x20000, 'app.bin', true, 4],
        [0x8000, 'partition_table/partition-table.bin', true, 5],
      ],
    );
    assert.deepEqual([a.mode, a.freq, a.size], ['dio', '80m', '8MB']);
  });

  it('--encrypt on the first line marks every pair; options may sit on separate lines (IDF 4.1)', () => {
    const all = parseFlashArgsFile('--flash_mode dio --flash_freq 40m --flash_size 8MB  --encrypt\n0x1000 bootloader/bootloader.bin\n', 'e');
    assert.equal(all.encryptAll, true);
    assert.equal(all.pairs[0].encrypt, true);
    const split = parseFlashArgsFile('--flash_mode dio\n--flash_size detect\n--flash_freq 40m\n0x1000 bootloader/bootloader.bin\n', 'f');
    assert.deepEqual([split.mode, split.size, split.freq, split.pairs.length], ['dio', 'detect', '40m', 1]);
    const hyphen = parseFlashArgsFile('--flash-mode dio --flash-freq 80m --flash-size 2MB\n0x2000 b.bin', 'g');
    assert.deepEqual([hyphen.mode, hyphen.size], ['dio', '2MB']);
    const noHeader = parseFlashArgsFile('0x10000 smart_config.bin', 'h');
    assert.deepEqual(
      noHeader.pairs.map((p) => p.file),
      ['smart_config.bin'],
    );
  });

  it('warns about an offset without a file and stray words', () => {
    const a = parseFlashArgsFile('hello\n0x1000 a.bin 0x2000\n--flash_mode', 'x_args');
    assert.deepEqual(msgs(a.problems), [
      'x_args line 1: "hello" is neither an option nor an offset; ignored.',
      'x_args line 2: offset 0x2000 has no file after it; ignored.',
      'x_args line 3: --flash_mode has no value.',
    ]);
    assert.deepEqual(
      a.pairs.map((p) => p.file),
      ['a.bin'],
    );
  });
});

describe('sdkconfig, platformio.ini, TOML', () => {
  it('reads sdkconfig.json, sdkconfig text and sdkconfig.h/excerpt forms', () => {
    const json = parseSdkconfigJson('{"SECURE_FLASH_ENC_ENABLED": true, "SECURE_FLASH_ENCRYPTION_MODE_RELEASE": true, "PARTITION_TABLE_OFFSET": 32768}');
    assert.equal(flashEncryptionMode({ file: 'j', values: json }), 'release');
    const text = parseSdkconfigText(
      'CONFIG_SECURE_FLASH_ENC_ENABLED=y\nCONFIG_SECURE_FLASH_ENCRYPTION_MODE_DEVELOPMENT=y\n# CONFIG_SECURE_BOOT is not set\nCONFIG_IDF_TARGET="esp32s3"\nCONFIG_PARTITION_TABLE_OFFSET=0x10000\n',
    );
    assert.equal(flashEncryptionMode({ file: 't', values: text }), 'development');
    assert.equal(text.get('SECURE_BOOT'), false);
    assert.equal(text.get('IDF_TARGET'), 'esp32s3');
    assert.equal(text.get('PARTITION_TABLE_OFFSET'), 0x10000);
    const h = parseSdkconfigText('#define CONFIG_IDF_TARGET "esp32c3"\n#define CONFIG_ESPTOOLPY_FLASHSIZE "2MB"\n');
    assert.equal(h.get('IDF_TARGET'), 'esp32c3');
    assert.equal(flashEncryptionMode({ file: 'h', values: h }), 'off');
    const excerpt = parseSdkconfigText('CONFIG_SECURE_FLASH_ENC_ENABLED=1\nCONFIG_FLASH_ENCRYPTION_ENABLED=CONFIG_SECURE_FLASH_ENC_ENABLED\n');
    assert.equal(flashEncryptionMode({ file: 'e', values: excerpt }), 'development');
    assert.equal(flashEncryptionMode(undefined), undefined);
  });

  it('reads platformio.ini envs, inline comments, multi-line values, [env] defaults and extends', () => {
    const ini = parsePlatformioIni(
      '[platformio]\ndefault_envs = b\n\n[env]\nframework = arduino\n\n[env:a]\nboard = esp32dev ; the board\nbuild_flags =\n    -D X=1 ; one\n    -D Y=2\n\n[env:b]\nextends = env:a\nboard_build.flash_mode = qio\n',
    );
    assert.deepEqual(ini.envs, ['a', 'b']);
    assert.deepEqual(ini.defaultEnvs, ['b']);
    assert.equal(envOption(ini, 'a', 'board'), 'esp32dev');
    assert.equal(envOption(ini, 'a', 'build_flags'), '-D X=1\n-D Y=2');
    assert.equal(envOption(ini, 'b', 'board'), 'esp32dev');
    assert.equal(envOption(ini, 'b', 'framework'), 'arduino');
    assert.equal(envOption(ini, 'b', 'board_build.flash_mode'), 'qio');
  });

  it('reads the TOML subset espflash.toml and Cargo.toml use', () => {
    const t = parseTomlLite(
      '# c\npartition_table = "top.csv"\n[idf_format_args]\nbootloader = \'b.bin\' # note\npartition_table_offset = 0x10000\n[flash]\nsize = "8MB"\n[package.metadata.espflash]\nformat = "esp-idf"\n[[bin]]\nname = "x"\n',
    );
    assert.equal(tomlGet(t, '', 'partition_table'), 'top.csv');
    assert.equal(tomlGet(t, 'idf_format_args', 'bootloader'), 'b.bin');
    assert.equal(tomlGet(t, 'idf_format_args', 'partition_table_offset'), 0x10000);
    assert.equal(tomlGet(t, 'flash', 'size'), '8MB');
    assert.equal(tomlGet(t, 'package.metadata.espflash', 'format'), 'esp-idf');
    assert.equal(tomlGet(t, 'bin', 'name'), 'x');
  });
});
