/** `esp-flasher plan <folder | offset file …>` — the plan and its problems, without hardware. */
import { chipFacts, flashSizeBytes, normalizeChipName, type ChipName } from '../core/chips';
import { normalizeFlashSize } from '../core/formats/flash_params';
import { planProblemsWithDevice, type CheckPlanOptions } from '../core/plan/check_plan';
import { chooseEncryptModes } from './encrypt_choice';
import { planToJson } from '../core/plan/plan_json';
import { planText } from '../core/plan/plan_text';
import { hasErrors } from '../core/plan/problem';
import { readerFor } from '../core/project/build_readers';
import { readPlainPairs, readProject, type ProjectKind } from '../core/project/read_project';
import { Options, UsageError, formatOptionHelp, parseArgs, parseNumber, type OptionSpec } from './args';

const OPTIONS: OptionSpec[] = [
  { name: 'env', kind: 'value', valueName: 'ENV', help: 'PlatformIO environment (default: default_envs, the only one, or the newest build)' },
  { name: 'chip', kind: 'value', valueName: 'CHIP', help: 'Plan for this chip (default: the chip the build names)' },
  { name: 'bootloader', kind: 'value', valueName: 'FILE', help: 'Rust projects: bootloader image to write' },
  { name: 'partition-table', kind: 'value', valueName: 'FILE', help: 'Rust projects: partition table (binary or CSV) to write' },
  { name: 'device-flash-size', kind: 'value', valueName: 'SIZE', help: 'Also check against a device with this much flash (4MB)' },
  {
    name: 'device-encryption',
    kind: 'value',
    valueName: 'MODE',
    help: 'Also check against a device whose flash encryption is off, development or release (plaintext into its encrypted regions)',
  },
  { name: 'encrypt', kind: 'flag', help: 'With --device-encryption: check the write `flash --encrypt` would make (else every segment plain)' },
  { name: 'flash-size', kind: 'value', valueName: 'SIZE', help: 'Check as `flash --flash-size SIZE` would write the bootloader header (4MB, detect, keep)' },
  { name: 'json', kind: 'flag', help: 'Print the plan and problems as JSON' },
];

export const usage = [
  'Usage: esp-flasher plan <folder> [options]',
  '       esp-flasher plan <offset> <file> [<offset> <file> ...] [options]',
  '',
  'Shows what flashing would write — segments (name, offset, size, partition, encrypt, source),',
  'flash settings, the partition table — and the problems found, without touching hardware.',
  'The folder may be a workspace, an ESP-IDF / PlatformIO / cargo project, or its build folder.',
  '',
  'Options:',
  ...formatOptionHelp(OPTIONS),
  '',
  'Exit status: 0 no errors (warnings allowed), 1 the plan has errors, 2 usage error.',
].join('\n');

/** The heading for a kind of input: a registered build reader's label, or pairs / nothing. */
function kindLabel(kind: ProjectKind): string {
  if (kind === 'plain') return 'Offset/file pairs';
  if (kind === 'none') return 'Nothing found';
  return readerFor(kind)?.label ?? kind;
}

function chipOption(o: Options): ChipName | undefined {
  const c = o.string('chip');
  if (c === undefined) return undefined;
  const n = normalizeChipName(c);
  if (!n) throw new UsageError(`--chip: "${c}" is not a known chip (esp32, esp32s2, esp32s3, esp32c2, esp32c3, esp32c5, esp32c6, esp32h2, esp32p4).`, 'plan');
  return n;
}

export async function run(args: string[], out: (line: string) => void): Promise<number> {
  try {
    const o = new Options(parseArgs(args, OPTIONS, 'plan'), 'plan');
    if (o.has('help')) {
      out(usage);
      return 0;
    }
    const chip = chipOption(o);
    let deviceFlashSize: number | undefined;
    const dfs = o.string('device-flash-size');
    if (dfs !== undefined) {
      const n = normalizeFlashSize(dfs);
      deviceFlashSize = n ? flashSizeBytes(n) : undefined;
      if (!deviceFlashSize) throw new UsageError(`--device-flash-size: "${dfs}" is not a size like 2MB or 4MB.`, 'plan');
    }
    const enc = o.string('device-encryption');
    if (enc !== undefined && enc !== 'off' && enc !== 'development' && enc !== 'release') {
      throw new UsageError(`--device-encryption: "${enc}" is not off, development or release.`, 'plan');
    }
    const words = o.positionals;
    let result: { plan: Awaited<ReturnType<typeof readProject>>['plan']; problems: Awaited<ReturnType<typeof readProject>>['problems']; kind: ProjectKind; looked?: string[] };
    if (words.length === 0) throw new UsageError('plan needs a folder (or offset/file pairs). Run "esp-flasher plan --help".', 'plan');
    if (words.length === 1) {
      const r = await readProject(words[0], { env: o.string('env'), chip, bootloader: o.string('bootloader'), partitionTable: o.string('partition-table') });
      result = r;
    } else {
      if (words.length % 2 !== 0) throw new UsageError(`plan takes one folder or <offset> <file> pairs; got ${words.length} words: ${words.join(' ')}.`, 'plan');
      const pairs = [];
      for (let i = 0; i < words.length; i += 2) pairs.push({ offset: parseNumber(words[i], `offset of pair ${i / 2 + 1}`), file: words[i + 1], text: words[i] });
      const r = await readPlainPairs(pairs, { chip });
      result = { ...r, kind: 'plain' };
    }
    let problems = [...result.problems];
    const sizeSetting = o.string('flash-size');
    if (sizeSetting) result.plan.settings = { ...result.plan.settings, size: sizeSetting };
    if (deviceFlashSize || enc) {
      const modes = chooseEncryptModes(result.plan.segments, { encrypt: o.has('encrypt'), hostKey: false });
      const plan = result.plan;
      const device: CheckPlanOptions = { encryptChoice: (s) => modes[plan.segments.indexOf(s)] ?? 'off' };
      if (deviceFlashSize) device.deviceFlashSize = deviceFlashSize;
      if (enc) device.deviceEncryption = enc;
      problems = planProblemsWithDevice(problems, result.plan, device);
    }
    if (o.has('json')) {
      out(JSON.stringify({ kind: result.kind, plan: planToJson(result.plan), problems, looked: result.kind === 'none' ? result.looked : undefined }, null, 2));
    } else {
      for (const l of planText(result.plan, problems, kindLabel(result.kind))) out(l);
      if (result.kind === 'none' && result.looked) {
        out('');
        out('Looked for:');
        for (const l of result.looked.slice(0, 40)) out(`  ${l}`);
        if (result.looked.length > 40) out(`  … and ${result.looked.length - 40} more`);
      }
    }
    if (chip && result.plan.chip && chip !== result.plan.chip) out(`Note: planned for ${chipFacts(chip).displayName}.`);
    return hasErrors(problems) ? 1 : 0;
  } catch (e) {
    if (e instanceof UsageError) {
      out(e.message);
      return 2;
    }
    throw e;
  }
}
