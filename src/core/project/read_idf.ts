/**
 * ESP-IDF build folder → FlashPlan (§8.1). The flash list is flasher_args.json's `flash_files`
 * (the `flash` target); `flash_args` (or IDF 4.1's `flash_project_args`) is the fallback and
 * the cross-check. Encrypted marks come from the JSON, else from `encrypted_flash_args`.
 * A per-target `<name>-flash_args` pair that the flash list does not name is never flashed.
 */
import * as path from 'node:path';
import { chipByImageId, normalizeChipName, type ChipName } from '../chips';
import { looksLikeImage } from '../formats/image_parse';
import { hex } from '../formats/bytes';
import { normalizeFlashFreq, normalizeFlashSize } from '../formats/flash_params';
import { partitionAt } from '../formats/partition_table';
import type { FlashPlan, FlashSettings } from '../plan/flash_plan';
import { errorProblem, warningProblem, type Problem } from '../plan/problem';
import { isFile, listDir, readHead, readText } from './fs_util';
import { parseFlashArgsFile, type FlashArgsFile } from './idf_flash_args_file';
import { parseFlasherArgsJson, type FlasherArgsJson } from './idf_flasher_args_json';
import { buildSegments, type DraftSegment } from './plan_builder';
import { flashEncryptionMode, readSdkconfig, sdkNumber, sdkString, sdkTrue, type Sdkconfig } from './sdkconfig';

export interface ReadIdfOptions {
  chip?: ChipName;
  /** Project folder (for ../sdkconfig); default: the build folder's parent. */
  projectDir?: string;
  /** Extra sdkconfig candidates tried after the build's own (PlatformIO: sdkconfig.<env>). */
  extraSdkconfig?: string[];
  /**
   * When a listed file does not exist, offer a substitute (PlatformIO renames the outputs).
   * Returns the absolute path and a phrase saying why.
   */
  substitute?: (name: string, relFile: string) => Promise<{ file: string; why: string } | undefined>;
  /** Appended to with every path looked at. */
  looked?: string[];
  /** How to call the folder in messages ("ESP-IDF build", "PlatformIO build"). */
  label?: string;
}

export interface ReaderResult {
  plan: FlashPlan;
  problems: Problem[];
}

interface Listed {
  offset: number;
  rel: string;
  name?: string;
  origin: string;
}

const ARGS_TARGET = /^(?:(.+)-flash_args|flash_(.+)_args)$/;

async function readArgs(file: string, inputs: string[], looked?: string[]): Promise<FlashArgsFile | undefined> {
  looked?.push(file);
  const text = await readText(file);
  if (text === undefined) return undefined;
  inputs.push(file);
  return parseFlashArgsFile(text, file);
}

function settingsFrom(
  json: FlasherArgsJson | undefined,
  args: FlashArgsFile | undefined,
  sdk: Sdkconfig | undefined,
  problems: Problem[],
): { settings: FlashSettings; source: string } {
  const pick = (key: 'mode' | 'size' | 'freq', sdkKey: string): { value?: string; from?: string } => {
    if (json?.[key]) return { value: json[key], from: `${path.basename(json.file)} ${json.settingsField ?? ''}`.trim() };
    if (args?.[key]) return { value: args[key], from: path.basename(args.file) };
    const s = sdkString(sdk, sdkKey);
    if (s) return { value: s, from: sdk ? path.basename(sdk.file) : undefined };
    return {};
  };
  const mode = pick('mode', 'ESPTOOLPY_FLASHMODE');
  const size = pick('size', 'ESPTOOLPY_FLASHSIZE');
  const freq = pick('freq', 'ESPTOOLPY_FLASHFREQ');
  const settings: FlashSettings = { mode: 'keep', size: 'keep', freq: 'keep' };
  const m = mode.value?.toLowerCase();
  if (m === 'qio' || m === 'qout' || m === 'dio' || m === 'dout' || m === 'keep') settings.mode = m;
  else if (m !== undefined)
    problems.push(warningProblem(`Flash mode "${mode.value}" (${mode.from}) is not qio, qout, dio or dout; the bootloader header is left as built.`, undefined, 'flash_mode'));
  const sz = size.value !== undefined ? normalizeFlashSize(size.value) : undefined;
  if (sz) settings.size = sz;
  else if (size.value !== undefined)
    problems.push(warningProblem(`Flash size "${size.value}" (${size.from}) is not a size like 4MB, "detect" or "keep"; the header is left as built.`, undefined, 'flash_size'));
  const fq = freq.value !== undefined ? normalizeFlashFreq(freq.value) : undefined;
  if (fq) settings.freq = fq;
  else if (freq.value !== undefined)
    problems.push(warningProblem(`Flash frequency "${freq.value}" (${freq.from}) is not like 40m or 80m; the header is left as built.`, undefined, 'flash_freq'));
  const froms = [...new Set([mode.from, size.from, freq.from].filter((x): x is string => !!x))];
  return { settings, source: froms.length ? froms.join(' + ') : 'none found (images keep their headers)' };
}

export async function readIdfBuild(buildDir: string, opts: ReadIdfOptions = {}): Promise<ReaderResult> {
  const problems: Problem[] = [];
  const inputs: string[] = [];
  const looked = opts.looked;
  const label = opts.label ?? 'ESP-IDF build';
  const projectDir = opts.projectDir ?? path.dirname(buildDir);

  // 1. The inputs.
  const jsonFile = path.join(buildDir, 'flasher_args.json');
  looked?.push(jsonFile);
  const jsonText = await readText(jsonFile);
  let json: FlasherArgsJson | undefined;
  if (jsonText !== undefined) {
    inputs.push(jsonFile);
    json = parseFlasherArgsJson(jsonText, jsonFile);
    problems.push(...json.problems);
  }
  const flashArgs = (await readArgs(path.join(buildDir, 'flash_args'), inputs, looked)) ?? (await readArgs(path.join(buildDir, 'flash_project_args'), inputs, looked));
  const encArgs =
    (await readArgs(path.join(buildDir, 'encrypted_flash_args'), inputs, looked)) ?? (await readArgs(path.join(buildDir, 'flash_encrypted_project_args'), inputs, looked));
  if (flashArgs) problems.push(...flashArgs.problems);
  if (encArgs) problems.push(...encArgs.problems);
  const sdk = await readSdkconfig(
    [
      path.join(buildDir, 'config', 'sdkconfig.json'),
      path.join(buildDir, 'sdkconfig.excerpt'),
      path.join(buildDir, 'config', 'sdkconfig.h'),
      ...(opts.extraSdkconfig ?? []),
      path.join(projectDir, 'sdkconfig'),
      path.join(projectDir, 'sdkconfig.excerpt'),
    ],
    problems,
    looked,
  );
  if (sdk) inputs.push(sdk.file);

  // 2. Chip.
  const buildChipName = json?.chip ?? sdkString(sdk, 'IDF_TARGET');
  const buildChip = buildChipName ? normalizeChipName(buildChipName) : undefined;
  if (buildChipName && !buildChip) problems.push(warningProblem(`The build names chip "${buildChipName}", which this tool does not know.`, json?.file ?? sdk?.file, 'chip'));
  if (opts.chip && buildChip && opts.chip !== buildChip) {
    problems.push(
      warningProblem(
        `The build is for ${buildChip} but ${opts.chip} was asked for; the plan uses ${opts.chip} and the image checks will say where they disagree.`,
        json?.file,
        'chip',
      ),
    );
  }
  let chip = opts.chip ?? buildChip;

  // 3. The flash list.
  const jsonUsable = json !== undefined && !json.problems.some((p) => p.severity === 'error');
  let listed: Listed[] = [];
  const jsonName = json ? path.basename(json.file) : 'flasher_args.json';
  if (jsonUsable && json) {
    if (json.flashFiles && json.flashFiles.length > 0) {
      listed = json.flashFiles.map((f) => ({ offset: f.offset, rel: f.file, origin: `${jsonName} flash_files ${hex(f.offset)}` }));
      for (const img of json.images) {
        const hit = listed.find((l) => l.offset === img.offset);
        if (hit) {
          hit.name ??= img.name;
          if (hit.rel !== img.file) {
            problems.push(
              warningProblem(`${jsonName}: "${img.name}" names ${img.file} at ${hex(img.offset)} but flash_files names ${hit.rel}; flash_files is used.`, json.file, img.name),
            );
          }
        } else if (img.name === 'bootloader' && secureBootOf(sdk)) {
          problems.push(warningProblem(secureBootBootloader(secureBootOf(sdk)!, img.offset, img.file), json.file, img.name));
        } else {
          problems.push(
            warningProblem(
              `${jsonName} describes "${img.name}" (${img.file} at ${hex(img.offset)}) but flash_files does not list it, so it is not part of the project's flash list ` +
                `(Secure Boot builds flash the bootloader separately); left out of the plan.`,
              json.file,
              img.name,
            ),
          );
        }
      }
    } else {
      listed = json.images.map((img) => ({ offset: img.offset, rel: img.file, name: img.name, origin: `${jsonName} "${img.name}"` }));
    }
  }
  if (listed.length === 0 && flashArgs) {
    if (json) {
      const instead = `the plan comes from ${path.basename(flashArgs.file)} instead` + (encArgs ? ` (encrypted marks from ${path.basename(encArgs.file)})` : '');
      const fatal = problems.findIndex((p) => p.severity === 'error' && p.file === json?.file);
      if (fatal >= 0) {
        // The JSON is unreadable but the argument files carry the same list: say so once, as a warning.
        problems[fatal] = warningProblem(`${problems[fatal].message.replace(/\.$/, '')}; ${instead}.`, json.file);
      } else problems.push(warningProblem(`${jsonName} gives no usable flash list; ${instead}.`, json.file));
    }
    listed = flashArgs.pairs.map((p) => ({ offset: p.offset, rel: p.file, origin: `${path.basename(flashArgs.file)} line ${p.line}` }));
  } else if (flashArgs && listed.length > 0) {
    // Cross-check against flash_args: add what the JSON lacks, report disagreements.
    const argsName = path.basename(flashArgs.file);
    for (const p of flashArgs.pairs) {
      const hit = listed.find((l) => l.offset === p.offset);
      if (!hit) {
        listed.push({ offset: p.offset, rel: p.file, origin: `${argsName} line ${p.line}` });
        problems.push(
          warningProblem(
            `${argsName} lists ${p.file} at ${hex(p.offset)}, which ${jsonName} lacks; added from ${argsName}. Rebuild so both agree.`,
            flashArgs.file,
            `line ${p.line}`,
          ),
        );
      } else if (path.normalize(hit.rel) !== path.normalize(p.file)) {
        problems.push(
          warningProblem(`${argsName} line ${p.line} names ${p.file} at ${hex(p.offset)} but ${jsonName} names ${hit.rel}; ${jsonName} is used.`, flashArgs.file, `line ${p.line}`),
        );
      }
    }
    for (const l of listed) {
      if (!flashArgs.pairs.some((p) => p.offset === l.offset) && l.origin.startsWith(jsonName)) {
        problems.push(
          warningProblem(`${jsonName} lists ${l.rel} at ${hex(l.offset)} but ${argsName} does not; the build outputs disagree — rebuild.`, json?.file, l.name ?? hex(l.offset)),
        );
      }
    }
  }

  // 4. Names and encrypted marks.
  const perTarget = (await listDir(buildDir)).filter((f) => ARGS_TARGET.test(f) && !/encrypted|^flash_project_args$/.test(f));
  const targetNames = new Map<number, string>();
  for (const f of perTarget) {
    const a = parseFlashArgsFile((await readText(path.join(buildDir, f))) ?? '', path.join(buildDir, f));
    const m = ARGS_TARGET.exec(f);
    const name = (m?.[1] ?? m?.[2] ?? '').replace(/_/g, '-');
    for (const p of a.pairs) if (!targetNames.has(p.offset) && name !== 'project') targetNames.set(p.offset, name);
  }
  const drafts: DraftSegment[] = listed.map((l) => {
    const jsonImg = json?.images.find((i) => i.offset === l.offset);
    const name = l.name ?? jsonImg?.name ?? targetNames.get(l.offset) ?? path.basename(l.rel).replace(/\.bin$/i, '');
    const d: DraftSegment = { name, offset: l.offset, file: path.resolve(buildDir, l.rel), origin: l.origin };
    const encPair = encArgs?.pairs.find((p) => p.offset === l.offset);
    const encName = encArgs ? path.basename(encArgs.file) : '';
    const encSource = encPair
      ? `${encName}: ${encPair.encrypt ? (encArgs?.encryptAll ? 'listed under --encrypt' : 'listed after --encrypt-files') : 'listed as a plain file'}`
      : '';
    if (jsonImg?.encrypted !== undefined) {
      d.encryptMark = { value: jsonImg.encrypted, source: `${jsonName} "${jsonImg.name}": "encrypted": "${jsonImg.encrypted}"` };
      if (encPair && encPair.encrypt !== jsonImg.encrypted) {
        problems.push(
          warningProblem(`${jsonName} marks "${name}" encrypted=${jsonImg.encrypted} but ${encSource.replace(': ', ' has it ')}; ${jsonName} is used.`, encArgs?.file, name),
        );
      }
    } else if (encPair) {
      d.encryptMark = { value: encPair.encrypt, source: encSource };
    }
    return d;
  });

  // 5. Settings, flash encryption, table offset.
  const { settings, source: settingsSource } = settingsFrom(jsonUsable ? json : undefined, flashArgs, sdk, problems);
  let fe = flashEncryptionMode(sdk);
  if (fe === undefined && drafts.some((d) => d.encryptMark?.value)) fe = 'development';
  const ptEntry = json?.images.find((i) => i.name === 'partition-table');
  const tableOffset = sdkNumber(sdk, 'PARTITION_TABLE_OFFSET') ?? ptEntry?.offset;

  // 6. Resolve files (with the caller's substitutes), then build the segments.
  for (const d of drafts) {
    if (await isFile(d.file)) continue;
    const sub = await opts.substitute?.(d.name, path.relative(buildDir, d.file));
    if (sub) {
      problems.push(
        warningProblem(
          `${d.origin}: ${path.relative(buildDir, d.file)} does not exist in ${buildDir}; using ${path.basename(sub.file)} instead (${sub.why}).`,
          json?.file ?? flashArgs?.file,
          d.name,
        ),
      );
      d.file = sub.file;
      d.origin += ` → ${path.basename(sub.file)}`;
    }
  }
  // ESP-IDF 3.x names the chip nowhere; its images carry chip id 0, which is the ESP32.
  if (!chip) {
    for (const d of drafts) {
      const head = d.bytes ?? (await readHead(d.file, 24));
      if (head && looksLikeImage(head)) {
        const byId = chipByImageId(head[12] | (head[13] << 8));
        if (byId) {
          chip = byId.name;
          break;
        }
      }
    }
  }
  const built = await buildSegments(drafts, { chip, tableOffset, flashEncryption: fe });

  // 7. Stray per-target pairs (never flashed).
  for (const f of perTarget) {
    const full = path.join(buildDir, f);
    const a = parseFlashArgsFile((await readText(full)) ?? '', full);
    const secureBoot = secureBootOf(sdk);
    for (const p of a.pairs) {
      if (built.segments.some((s) => s.offset === p.offset)) continue;
      if (f === 'bootloader-flash_args' && secureBoot) {
        // Secure Boot keeps the bootloader out of `flash` on purpose: it is flashed once, by hand.
        problems.push(warningProblem(secureBootBootloader(secureBoot, p.offset, p.file), full, p.file));
        continue;
      }
      // An image the JSON describes but the flash target leaves out was reported above.
      if (json?.images.some((i) => i.offset === p.offset && path.normalize(i.file) === path.normalize(p.file))) continue;
      const covered = built.partitions ? partitionAt(built.partitions, p.offset) : undefined;
      problems.push(
        warningProblem(
          `${f} names ${p.file} at ${hex(p.offset)}, which the project's flash list (${json ? jsonName : path.basename(flashArgs?.file ?? 'flash_args')}) does not include` +
            (built.partitions ? (covered ? ` (it would land in partition ${covered.label})` : ' and no partition covers') : '') +
            `; not flashed. It is probably left over from an earlier build: delete it, or add the image to the project's flash list and rebuild.`,
          full,
          p.file,
        ),
      );
    }
  }

  if (built.segments.length === 0) {
    problems.push(
      errorProblem(
        `${label} ${buildDir}: nothing to flash — no flasher_args.json flash_files and no flash_args pairs were found. Build the project (idf.py build) first.`,
        jsonFile,
      ),
    );
  }

  const plan: FlashPlan = {
    settings,
    settingsSource,
    segments: built.segments,
    source: buildDir,
    inputs,
  };
  if (chip) plan.chip = chip;
  if (json?.before) plan.before = json.before;
  if (json?.after) plan.after = json.after;
  if (json?.stub !== undefined) plan.stub = json.stub;
  if (built.partitions) plan.partitions = built.partitions;
  if (built.tableOffset !== undefined) plan.partitionTableOffset = built.tableOffset;
  if (fe) plan.flashEncryption = fe;
  return { plan, problems };
}

/** 'V1' / 'V2' when the build enables Secure Boot (ESP-IDF 3.x says SECURE_BOOT_ENABLED for V1). */
function secureBootOf(sdk: Sdkconfig | undefined): 'V1' | 'V2' | undefined {
  if (sdkTrue(sdk, 'SECURE_BOOT_V2_ENABLED')) return 'V2';
  if (sdkTrue(sdk, 'SECURE_BOOT_V1_ENABLED') || sdkTrue(sdk, 'SECURE_BOOT_ENABLED') || sdkTrue(sdk, 'SECURE_BOOT')) return 'V1';
  return undefined;
}

/** What a Secure Boot build's bootloader is, and the one-time command that flashes it. */
function secureBootBootloader(version: 'V1' | 'V2', offset: number, file: string): string {
  return (
    `The bootloader (${file} at ${hex(offset)}) is not flashed with the app: Secure Boot ${version} is enabled (sdkconfig), so ESP-IDF keeps the bootloader out of the ` +
    `flash target on purpose and prints a one-time command for it. Flash it once, by itself: "idf.py bootloader-flash" (or flash the pair ${hex(offset)} ${file} alone)` +
    (version === 'V1' ? '; a one-time-flash V1 bootloader can be written only once per chip.' : '.')
  );
}
