/**
 * PlatformIO project → FlashPlan (§8.3). Order of evidence for the env's build folder
 * `.pio/build/<env>/`: idedata.json (extra.flash_images), then ESP-IDF's flasher_args.json
 * (framework = espidf; its paths name IDF's outputs, PlatformIO renames them), then the
 * PlatformIO conventions (bootloader.bin, partitions.bin, firmware.bin; offsets from the chip
 * table and the partition table; Arduino's boot_app0.bin at otadata).
 */
import { homedir } from 'node:os';
import * as path from 'node:path';
import { chipByImageId, chipFacts, CHIP_NAMES, type ChipName } from '../chips';
import { hex, parseFlashNumber } from '../formats/bytes';
import { normalizeFlashFreq, normalizeFlashSize } from '../formats/flash_params';
import { looksLikeImage, parseImage } from '../formats/image_parse';
import { looksLikePartitionTable, parsePartitionTable } from '../formats/partition_binary';
import { PARTITION_TABLE_DEFAULT_OFFSET, TYPE, defaultAppPartition } from '../formats/partition_table';
import type { FlashMode } from '../chips';
import type { FlashPlan, FlashSettings, PartitionRef } from '../plan/flash_plan';
import { errorProblem, warningProblem, type Problem } from '../plan/problem';
import { isDir, isFile, listDir, mtimeMs, readText } from './fs_util';
import { envOption, parsePlatformioIni, type PioIni } from './platformio_ini';
import { buildSegments, readBytes, type DraftSegment } from './plan_builder';
import { readIdfBuild, type ReaderResult } from './read_idf';
import { flashEncryptionMode, readSdkconfig, sdkNumber } from './sdkconfig';

export interface ReadPlatformioOptions {
  env?: string;
  chip?: ChipName;
  /** PlatformIO core folder (packages/) to look for Arduino's boot_app0.bin; default $PLATFORMIO_CORE_DIR or ~/.platformio. */
  platformioCoreDir?: string;
  looked?: string[];
}

export interface PlatformioResult extends ReaderResult {
  buildDir?: string;
  env?: string;
}

/** PlatformIO's names for the outputs ESP-IDF's flasher_args.json lists. */
const PIO_NAMES: Record<string, string> = {
  bootloader: 'bootloader.bin',
  app: 'firmware.bin',
  'partition-table': 'partitions.bin',
  otadata: 'ota_data_initial.bin',
};

async function chooseEnv(projectDir: string, ini: PioIni, wanted: string | undefined, problems: Problem[], iniFile: string): Promise<string | undefined> {
  const buildRoot = path.join(projectDir, '.pio', 'build');
  const built = (await listDir(buildRoot)).filter((e) => !e.startsWith('.'));
  const known = [...new Set([...ini.envs, ...built])];
  if (wanted) {
    if (!known.includes(wanted)) {
      problems.push(errorProblem(`${iniFile} has no env "${wanted}" (envs: ${known.join(', ') || 'none'}). Choose one of those envs.`, iniFile, 'env'));
      return undefined;
    }
    return wanted;
  }
  if (ini.defaultEnvs.length > 0) return ini.defaultEnvs[0];
  if (known.length <= 1) return known[0];
  const times = await Promise.all(known.map(async (e) => ({ e, t: await mtimeMs(path.join(buildRoot, e)) })));
  times.sort((a, b) => b.t - a.t);
  const pick = times[0].t > 0 ? times[0].e : known[0];
  problems.push(
    warningProblem(
      `${iniFile} has several envs (${known.join(', ')}) and no default_envs; using "${pick}" (${times[0].t > 0 ? 'most recently built' : 'first listed'}). Choose the env to be sure.`,
      iniFile,
      'env',
    ),
  );
  return pick;
}

/** Arduino's boot_app0.bin: the build folder, the project, then the framework package. */
async function findBootApp0(buildDir: string, projectDir: string, coreDir: string, looked?: string[]): Promise<{ file?: string; searched: string[] }> {
  const searched = [path.join(buildDir, 'boot_app0.bin'), path.join(projectDir, 'boot_app0.bin')];
  const pkgs = path.join(coreDir, 'packages');
  for (const d of (await listDir(pkgs)).filter((x) => x.startsWith('framework-arduinoespressif32')).sort()) {
    searched.push(path.join(pkgs, d, 'tools', 'partitions', 'boot_app0.bin'));
  }
  for (const f of searched) {
    looked?.push(f);
    if (await isFile(f)) return { file: f, searched };
  }
  if (!searched.some((s) => s.startsWith(pkgs))) searched.push(path.join(pkgs, 'framework-arduinoespressif32', 'tools', 'partitions', 'boot_app0.bin'));
  return { searched };
}

function chipFromBoard(board: string | undefined): ChipName | undefined {
  if (!board) return undefined;
  const b = board.toLowerCase().replace(/[-_]/g, '');
  const byLength = [...CHIP_NAMES].sort((x, y) => y.length - x.length);
  return byLength.find((c) => b.includes(c));
}

function iniSettings(ini: PioIni, env: string, header: FlashSettings): { settings: FlashSettings; overridden: string[] } {
  const settings = { ...header };
  const overridden: string[] = [];
  const mode = envOption(ini, env, 'board_build.flash_mode')?.toLowerCase();
  if (mode && ['qio', 'qout', 'dio', 'dout'].includes(mode)) {
    settings.mode = mode as FlashMode;
    overridden.push('board_build.flash_mode');
  }
  const size = envOption(ini, env, 'board_upload.flash_size');
  if (size && normalizeFlashSize(size)) {
    settings.size = normalizeFlashSize(size) as string;
    overridden.push('board_upload.flash_size');
  }
  const f = envOption(ini, env, 'board_build.f_flash');
  if (f) {
    const hz = /^(\d+)L?$/.exec(f.trim());
    const freq = hz ? `${Math.round(Number(hz[1]) / 1e6)}m` : normalizeFlashFreq(f);
    if (freq) {
      settings.freq = freq;
      overridden.push('board_build.f_flash');
    }
  }
  return { settings, overridden };
}

export async function readPlatformioProject(projectDir: string, opts: ReadPlatformioOptions = {}): Promise<PlatformioResult> {
  const problems: Problem[] = [];
  const looked = opts.looked;
  const iniFile = path.join(projectDir, 'platformio.ini');
  looked?.push(iniFile);
  const ini = parsePlatformioIni((await readText(iniFile)) ?? '');
  const env = await chooseEnv(projectDir, ini, opts.env, problems, iniFile);
  const empty: FlashPlan = { settings: { mode: 'keep', size: 'keep', freq: 'keep' }, segments: [], source: projectDir, inputs: [iniFile] };
  if (!env) {
    if (!problems.some((p) => p.severity === 'error')) {
      problems.push(errorProblem(`${iniFile} defines no [env:…] section and there is no .pio/build folder; nothing to flash.`, iniFile));
    }
    return { plan: empty, problems };
  }
  const buildDir = path.join(projectDir, '.pio', 'build', env);
  looked?.push(buildDir);
  if (!(await isDir(buildDir))) {
    problems.push(errorProblem(`PlatformIO env "${env}" has not been built: ${buildDir} does not exist. Run "pio run -e ${env}" first.`, iniFile, 'env'));
    return { plan: empty, problems, env };
  }
  const framework = (envOption(ini, env, 'framework') ?? '').toLowerCase();
  const board = envOption(ini, env, 'board');

  // idedata.json (PlatformIO's own flash list).
  const ideFile = path.join(buildDir, 'idedata.json');
  looked?.push(ideFile);
  const ideText = await readText(ideFile);
  let ideImages: { offset: number; file: string; name: string }[] | undefined;
  if (ideText !== undefined) {
    try {
      const ide = JSON.parse(ideText) as { prog_path?: unknown; extra?: { flash_images?: unknown; application_offset?: unknown } };
      const images: { offset: number; file: string; name: string }[] = [];
      const appOff = typeof ide.extra?.application_offset === 'string' ? parseFlashNumber(ide.extra.application_offset) : undefined;
      if (typeof ide.prog_path === 'string') {
        images.push({ offset: appOff ?? 0x10000, file: ide.prog_path.replace(/\.elf$/i, '.bin'), name: 'app' });
      }
      if (Array.isArray(ide.extra?.flash_images)) {
        for (const fi of ide.extra.flash_images as unknown[]) {
          const o = fi as { offset?: unknown; path?: unknown };
          const off = typeof o.offset === 'string' ? parseFlashNumber(o.offset) : typeof o.offset === 'number' ? o.offset : undefined;
          if (off === undefined || typeof o.path !== 'string') {
            problems.push(warningProblem(`${ideFile}: extra.flash_images entry ${JSON.stringify(fi)} has no usable offset/path; ignored.`, ideFile, 'extra.flash_images'));
            continue;
          }
          const base = path.basename(o.path).replace(/\.bin$/i, '');
          const name = base === 'partitions' ? 'partition-table' : base === 'boot_app0' || base === 'ota_data_initial' ? 'otadata' : base;
          images.push({ offset: off, file: o.path, name });
        }
      }
      if (images.length > 0) ideImages = images;
    } catch (e) {
      problems.push(warningProblem(`${ideFile} is not valid JSON (${(e as Error).message}); ignored. Run "pio run -t idedata" to regenerate it.`, ideFile));
    }
  }

  // ESP-IDF framework: flasher_args.json, with PlatformIO's file names.
  if (!ideImages && (await isFile(path.join(buildDir, 'flasher_args.json')))) {
    const r = await readIdfBuild(buildDir, {
      chip: opts.chip,
      projectDir,
      extraSdkconfig: [path.join(projectDir, `sdkconfig.${env}`)],
      looked,
      label: 'PlatformIO build',
      substitute: async (name, rel) => {
        const alt = PIO_NAMES[name] ?? path.basename(rel);
        const file = path.join(buildDir, alt);
        return (await isFile(file)) ? { file, why: `PlatformIO names its outputs ${Object.values(PIO_NAMES).join(', ')}` } : undefined;
      },
    });
    r.plan.source = buildDir;
    r.plan.inputs = [iniFile, ...(r.plan.inputs ?? [])];
    // platformio.ini's board_build.* settings win here too (PlatformIO's own upload passes them).
    const fromIni = iniSettings(ini, env, r.plan.settings);
    if (fromIni.overridden.length > 0) {
      r.plan.settings = fromIni.settings;
      r.plan.settingsSource = `${r.plan.settingsSource ?? 'flasher_args.json'} + platformio.ini ${fromIni.overridden.join(', ')} (wins)`;
    }
    return { plan: r.plan, problems: [...problems, ...r.problems], buildDir, env };
  }

  // PlatformIO conventions.
  const inputs = [iniFile];
  const file = (n: string) => path.join(buildDir, n);
  const bootBytes = await readBytes(file('bootloader.bin'));
  const appBytes = await readBytes(file('firmware.bin'));
  const ptBytes = await readBytes(file('partitions.bin'));
  const headerChipId = [appBytes, bootBytes].map((b) => (b && looksLikeImage(b) ? b[12] | (b[13] << 8) : undefined)).find((x) => x !== undefined);
  const headerChip = headerChipId !== undefined ? chipByImageId(headerChipId)?.name : undefined;
  const chip = opts.chip ?? headerChip ?? chipFromBoard(board);
  if (!chip) {
    problems.push(warningProblem(`Cannot tell the chip of PlatformIO env "${env}" (board ${board ?? 'unset'}, no image header); set the chip.`, iniFile, 'board'));
  }
  const sdk = await readSdkconfig(
    [file('config/sdkconfig.json'), path.join(projectDir, `sdkconfig.${env}`), path.join(projectDir, 'sdkconfig.excerpt'), path.join(projectDir, 'sdkconfig')],
    problems,
    looked,
  );
  if (sdk) inputs.push(sdk.file);
  const tableOffset =
    parseFlashNumber(envOption(ini, env, 'board_upload.partition_table_offset') ?? '') ?? sdkNumber(sdk, 'PARTITION_TABLE_OFFSET') ?? PARTITION_TABLE_DEFAULT_OFFSET;
  const bootOffset =
    parseFlashNumber(envOption(ini, env, 'board_upload.bootloader_offset') ?? '') ??
    sdkNumber(sdk, 'BOOTLOADER_OFFSET_IN_FLASH') ??
    (chip ? chipFacts(chip).bootloaderOffset : undefined);
  let partitions: PartitionRef[] | undefined;
  if (ptBytes && looksLikePartitionTable(ptBytes)) partitions = parsePartitionTable(ptBytes, { tableOffset }).partitions;
  const appPart = partitions ? defaultAppPartition(partitions) : undefined;
  const iniAppOffset = parseFlashNumber(envOption(ini, env, 'board_upload.offset_address') ?? '');
  const appOffset = iniAppOffset ?? appPart?.offset ?? 0x10000;

  const drafts: DraftSegment[] = [];
  let images = ideImages;
  if (!images) {
    images = [];
    if (bootBytes) {
      if (bootOffset !== undefined) images.push({ offset: bootOffset, file: file('bootloader.bin'), name: 'bootloader' });
      else problems.push(errorProblem(`bootloader.bin: its offset depends on the chip, which is unknown; set the chip.`, file('bootloader.bin'), 'bootloader'));
    }
    if (ptBytes) images.push({ offset: tableOffset, file: file('partitions.bin'), name: 'partition-table' });
    if (appBytes) images.push({ offset: appOffset, file: file('firmware.bin'), name: 'app' });
    const otaPart = partitions?.find((p) => p.type === TYPE.data && p.subtype === 0x00);
    const otaInitial = file('ota_data_initial.bin');
    if (otaPart && (await isFile(otaInitial))) images.push({ offset: otaPart.offset, file: otaInitial, name: 'otadata' });
    else if (otaPart && framework.includes('arduino')) {
      const coreDir = opts.platformioCoreDir ?? process.env.PLATFORMIO_CORE_DIR ?? path.join(homedir(), '.platformio');
      const found = await findBootApp0(buildDir, projectDir, coreDir, looked);
      if (found.file) images.push({ offset: otaPart.offset, file: found.file, name: 'otadata' });
      else {
        problems.push(
          warningProblem(
            `Arduino writes boot_app0.bin to the otadata partition (${hex(otaPart.offset)}) so the bootloader starts ${appPart?.label ?? 'the first app'}; ` +
              `it is not in the build output and was not found (looked in ${found.searched.join(', ')}). The plan leaves otadata as it is: ` +
              `a board whose otadata selects another OTA slot keeps booting the old app. Add 0x${otaPart.offset.toString(16)} boot_app0.bin from ` +
              `the framework-arduinoespressif32 package (tools/partitions/), or erase otadata.`,
            undefined,
            'otadata',
          ),
        );
      }
    }
    if (!appBytes)
      problems.push(errorProblem(`${file('firmware.bin')} does not exist: PlatformIO env "${env}" has no firmware. Run "pio run -e ${env}".`, file('firmware.bin'), 'app'));
  }
  for (const img of images)
    drafts.push({
      name: img.name,
      offset: img.offset,
      file: path.resolve(buildDir, img.file),
      origin: ideImages ? 'idedata.json' : `PlatformIO convention (${path.basename(img.file)})`,
    });
  if (ideImages) inputs.push(ideFile);

  // Settings: the bootloader header (PlatformIO writes the board's settings into the images), ini overrides.
  let settings: FlashSettings = { mode: 'keep', size: 'keep', freq: 'keep' };
  let settingsSource = 'none found (images keep their headers)';
  if (bootBytes && looksLikeImage(bootBytes)) {
    const info = parseImage(bootBytes, { chip }).info;
    if (info) {
      settings = { mode: (info.flashMode as FlashMode | undefined) ?? 'keep', size: info.flashSize ?? 'keep', freq: info.flashFreq ?? 'keep' };
      settingsSource = "bootloader.bin header (PlatformIO builds the images with the board's settings)";
    }
  }
  const fromIni = iniSettings(ini, env, settings);
  if (fromIni.overridden.length > 0) {
    settings = fromIni.settings;
    settingsSource += ` + platformio.ini ${fromIni.overridden.join(', ')}`;
  }

  const fe = flashEncryptionMode(sdk);
  const built = await buildSegments(drafts, { chip, tableOffset, flashEncryption: fe });
  const plan: FlashPlan = { settings, settingsSource, segments: built.segments, source: buildDir, inputs, before: 'default-reset', after: 'hard-reset' };
  if (chip) plan.chip = chip;
  if (built.partitions) plan.partitions = built.partitions;
  if (built.tableOffset !== undefined) plan.partitionTableOffset = built.tableOffset;
  if (fe) plan.flashEncryption = fe;
  return { plan, problems, buildDir, env };
}
