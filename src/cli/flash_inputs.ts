/**
 * What `flash` and `verify` write: a build folder or offset/file pairs, plus --encrypt-files
 * pairs, each segment with its encryption mode, and the flash settings to patch in.
 */
import { stat } from 'node:fs/promises';
import type { ChipName } from '../core/chips';
import type { HostKeyOptions, WriteSegment } from '../core/flash/api';
import { segmentsFromPlan } from '../core/flash/segments_from_plan';
import type { FlashPlan, FlashSettings } from '../core/plan/flash_plan';
import { formatProblem, hasErrors, type Problem } from '../core/plan/problem';
import { readPlainPairs, readProject, type ProjectKind } from '../core/project/read_project';
import type { PlainPair } from '../core/project/read_plain';
import { Options, UsageError, parseNumber, type OptionSpec } from './args';
import { checkEncryptFlagCombination, encryptedBy, type EncryptFlags } from './encrypt_choice';

export const FLASH_INPUT_OPTIONS: OptionSpec[] = [
  { name: 'encrypt', kind: 'flag', help: 'Write encrypted the segments the build marks encrypted (every segment when none is marked)' },
  { name: 'encrypt-files', kind: 'list', multipleOf: 2, valueName: 'OFFSET FILE', help: 'Also write these offset/file pairs, encrypted' },
  { name: 'encrypt-key', kind: 'value', valueName: 'FILE', help: 'Encrypt on the host with this key file instead of on the chip' },
  { name: 'encrypt-key-dir', kind: 'value', valueName: 'DIR', help: "Like --encrypt-key, key chosen by the chip's MAC: DIR/aabbccddeeff.bin" },
  {
    name: 'flash-crypt-conf',
    kind: 'value',
    valueName: 'N',
    help: "ESP32 only: FLASH_CRYPT_CONFIG (0x0…0xF, default 0xF) the host key's ciphertext is computed for",
  },
  { name: 'flash-mode', kind: 'value', valueName: 'MODE', help: "Patch the bootloader header: qio, qout, dio, dout or keep (default: the build's)" },
  { name: 'flash-size', kind: 'value', valueName: 'SIZE', help: "Patch the bootloader header: 4MB, detect or keep (default: the build's)" },
  { name: 'flash-freq', kind: 'value', valueName: 'FREQ', help: "Patch the bootloader header: 80m, 40m, … or keep (default: the build's)" },
  { name: 'env', kind: 'value', valueName: 'ENV', help: 'PlatformIO environment to flash (default: default_envs or the newest build)' },
];

/** `flash`/`verify` of one image file (a merged image): where it goes. */
export const IMAGE_OFFSET_OPTION: OptionSpec = {
  name: 'offset',
  kind: 'value',
  valueName: 'OFFSET',
  help: 'One image file (e.g. from esp-flasher merge) is written at this flash offset (default 0x0)',
};

export interface FlashInputs {
  plan: FlashPlan;
  kind: ProjectKind | 'pairs';
  segments: WriteSegment[];
  problems: Problem[];
  settings: FlashSettings;
  hostKey?: HostKeyOptions;
  /** Where the inputs came from, for the summary line. */
  source: string;
}

function pairsFrom(words: string[], what: string): PlainPair[] {
  const pairs: PlainPair[] = [];
  for (let i = 0; i + 1 < words.length; i += 2) {
    pairs.push({ offset: parseNumber(words[i], `${what}: offset of pair ${i / 2 + 1}`), file: words[i + 1], text: words[i] });
  }
  return pairs;
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** Read the command line's build folder / pairs into the segments to write. */
export async function loadFlashInputs(o: Options, chip: ChipName | undefined, opts: { singleImage?: boolean } = {}): Promise<FlashInputs> {
  const words = o.positionals;
  const encryptWords = o.values('encrypt-files');
  const keyFile = o.string('encrypt-key');
  const keyDir = o.string('encrypt-key-dir');
  if (keyFile && keyDir) throw new UsageError('Give either --encrypt-key or --encrypt-key-dir, not both.');
  const flags: EncryptFlags = { encrypt: o.has('encrypt'), hostKey: Boolean(keyFile || keyDir) };
  checkEncryptFlagCombination(flags, encryptWords.length / 2);

  let plan: FlashPlan;
  let problems: Problem[];
  let kind: FlashInputs['kind'];
  let source: string;
  if (words.length === 0 && encryptWords.length === 0) {
    throw new UsageError(`"${o.command}" needs a build folder or <offset> <file> pairs, e.g. esp-flasher ${o.command} --port PORT build/ (or 0x10000 app.bin).`);
  }
  const imageOffset = opts.singleImage ? o.number('offset') : undefined;
  const singleImage = opts.singleImage && words.length === 1 && !(await isDirectory(words[0]));
  if (imageOffset !== undefined && !singleImage) {
    throw new UsageError(
      `--offset places one image file (e.g. a merged image); a build folder or offset/file pairs carry their own offsets. Leave --offset out, or give one file.`,
    );
  }
  if (singleImage) {
    // One file, no offset: a merged image, written at --offset (default 0x0).
    const offset = imageOffset ?? 0;
    const r = await readPlainPairs([{ offset, file: words[0] }], { chip });
    plan = r.plan;
    problems = r.problems;
    kind = 'pairs';
    source = `image ${words[0]} at 0x${offset.toString(16)}`;
  } else if (words.length === 1) {
    if (!(await isDirectory(words[0]))) {
      throw new UsageError(`${words[0]} is not a folder. Give a build/project folder, or an offset before each file: esp-flasher ${o.command} --port PORT 0x10000 ${words[0]}.`);
    }
    const r = await readProject(words[0], { chip, env: o.string('env') });
    plan = r.plan;
    problems = r.problems;
    kind = r.kind;
    source = `${r.kind} build ${r.buildDir ?? words[0]}`;
    if (r.kind === 'none' || (r.plan.segments.length === 0 && !problems.some((p) => p.severity === 'error'))) {
      problems = [
        ...problems,
        { severity: 'error', message: `Nothing to flash found in ${words[0]}. Looked at: ${r.looked.slice(0, 8).join(', ')}${r.looked.length > 8 ? ', …' : ''}.` },
      ];
    }
  } else if (words.length > 0) {
    if (words.length % 2 !== 0) {
      throw new UsageError(`Offset/file pairs come in twos; got ${words.length} word(s): ${words.join(' ')}. Example: 0x1000 bootloader.bin 0x10000 app.bin.`);
    }
    const r = await readPlainPairs(pairsFrom(words, 'pairs'), { chip });
    plan = r.plan;
    problems = r.problems;
    kind = 'pairs';
    source = 'offset/file pairs';
  } else {
    plan = { settings: { mode: 'keep', size: 'keep', freq: 'keep' }, segments: [] };
    problems = [];
    kind = 'pairs';
    source = '--encrypt-files pairs';
  }

  // Encryption per segment: the core's one rule (resolveSegmentEncryption), --encrypt on unmarked pairs encrypting all.
  const mode = encryptedBy(flags);
  let segments = segmentsFromPlan(plan, flags.encrypt ? 'encrypted' : 'plain', mode, undefined, { allWhenNoneMarked: true });
  if (kind === 'pairs') {
    // Pairs carry no build mark: let the safety checks judge plaintext by its contents.
    segments = segments.map(({ encryptedInBuild: _unknown, ...s }) => s);
  }

  if (encryptWords.length) {
    const r = await readPlainPairs(pairsFrom(encryptWords, '--encrypt-files'), { chip: chip ?? plan.chip });
    problems = [...problems, ...r.problems];
    for (const s of r.plan.segments) {
      segments.push({ name: s.name, offset: s.offset, bytes: s.bytes, encrypt: mode, encryptedInBuild: true });
    }
    if (!plan.chip && r.plan.chip) plan = { ...plan, chip: r.plan.chip };
    if (plan.segments.length === 0) plan = { ...plan, segments: r.plan.segments.map((s) => ({ ...s, encrypt: true })) };
  }

  const settings: FlashSettings = { ...plan.settings };
  const m = o.string('flash-mode');
  if (m) {
    const v = m.toLowerCase();
    if (v !== 'qio' && v !== 'qout' && v !== 'dio' && v !== 'dout' && v !== 'keep') throw new UsageError(`--flash-mode: "${m}" is not qio, qout, dio, dout or keep.`);
    settings.mode = v;
  }
  const size = o.string('flash-size');
  if (size) settings.size = size;
  const freq = o.string('flash-freq');
  if (freq) settings.freq = freq;

  const inputs: FlashInputs = { plan, kind, segments, problems, settings, source };
  if (keyFile) inputs.hostKey = { keyFile };
  if (keyDir) inputs.hostKey = { keyDir };
  const conf = flashCryptConf(o);
  if (conf !== undefined) {
    if (!inputs.hostKey) {
      throw new UsageError('--flash-crypt-conf sets how the host key encrypts (ESP32): give it together with --encrypt-key FILE or --encrypt-key-dir DIR.');
    }
    const target = chip ?? plan.chip;
    if (target && target !== 'esp32') {
      throw new UsageError(`--flash-crypt-conf is the ESP32's FLASH_CRYPT_CONFIG; ${target} uses XTS-AES flash encryption, which has no such setting. Leave it out.`);
    }
    inputs.hostKey.flashCryptConfig = conf;
  }
  return inputs;
}

/** --flash-crypt-conf: a 4-bit FLASH_CRYPT_CONFIG value. */
function flashCryptConf(o: Options): number | undefined {
  const text = o.string('flash-crypt-conf');
  if (text === undefined) return undefined;
  const n = parseNumber(text, '--flash-crypt-conf');
  if (n > 0xf) throw new UsageError(`--flash-crypt-conf: "${text}" is not a FLASH_CRYPT_CONFIG value; it is 4 bits, 0x0…0xF (0xF is the default and what ESP-IDF burns).`);
  return n;
}

/** One line per segment: what will be written where, and how. */
/**
 * Prints the inputs' problems and says whether they stop the command (true = stop; the message is
 * printed). `rules`: 'job' leaves the coded rule findings (src/core/rules) to the flash job, which
 * judges them again with the device's facts and lets --force through the overridable ones;
 * 'skip' drops them (reading back is not writing); 'apply' treats them like any problem (merge:
 * the image file is the last stop before a programmer).
 */
export function inputProblemsStop(inputs: FlashInputs, rules: 'job' | 'skip' | 'apply', out: (line: string) => void, err: (line: string) => void, nothing = 'written'): boolean {
  const problems = rules === 'apply' ? inputs.problems : inputs.problems.filter((p) => !p.code);
  for (const p of problems) (p.severity === 'error' ? err : out)(formatProblem(p));
  if (!hasErrors(problems)) return false;
  err(`Nothing was ${nothing}: ${inputs.source} has ${problems.filter((p) => p.severity === 'error').length} error(s), listed above. Fix them and run again.`);
  return true;
}

export function describeSegments(segments: WriteSegment[]): string[] {
  const how = (s: WriteSegment) => (s.encrypt === 'device' ? 'encrypted by the chip' : s.encrypt === 'host' ? 'encrypted on the host' : 'plain');
  const width = Math.max(4, ...segments.map((s) => s.name.length));
  return segments.map((s) => `  ${s.name.padEnd(width)}  0x${s.offset.toString(16).padStart(8, '0')}  ${String(s.bytes.length).padStart(8)} bytes  ${how(s)}`);
}
