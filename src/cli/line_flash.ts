/**
 * `esp-flasher flash` on a production line: several --port, --ports auto|GLOB, --report,
 * --watch, --retry-failed. Reads the build once, then runs one job per device in parallel
 * (src/core/line) and renders them (line_printer.ts).
 */
import { flashSizeBytes } from '../core/chips';
import { normalizeFlashSize } from '../core/formats/flash_params';
import type { DeviceRecord } from '../core/line/device_record';
import { DEFAULT_STALL_MS, lineExitCode, runLine, type LineJob } from '../core/line/line_runner';
import { PortSelectionError, listSerialPorts, portIdentity, selectPorts, type LinePort, type PortLister } from '../core/line/port_selection';
import { ReportFileError, ReportWriter, failedDevices, readReport } from '../core/line/report_file';
import { retryTargets } from '../core/line/retry_failed';
import { watchLine } from '../core/line/watch_line';
import { Options, UsageError, parseNumber, type OptionSpec } from './args';
import type { CliContext, OutFn } from './cli_context';
import { parseChipOption } from './connect_options';
import { describeSegments, inputProblemsStop, loadFlashInputs } from './flash_inputs';
import { jobConnectOptions } from './flash_job_options';
import { LinePrinter, lineTable } from './line_printer';

export const LINE_OPTIONS: OptionSpec[] = [
  {
    name: 'ports',
    kind: 'value',
    repeatable: true,
    valueName: 'auto|GLOB',
    help: 'Flash every known ESP USB bridge present (auto) or every port matching GLOB ("/dev/ttyUSB*"), all in parallel',
  },
  { name: 'report', kind: 'value', valueName: 'FILE', help: 'Append one record per device to FILE (.jsonl or .csv)' },
  { name: 'watch', kind: 'flag', help: 'Fixture mode: keep running and flash each newly attached device once (by USB serial number) until Ctrl-C' },
  { name: 'retry-failed', kind: 'value', valueName: 'FILE', help: 'Flash again only the devices whose latest record in report FILE failed' },
  { name: 'min-flash-size', kind: 'value', valueName: 'SIZE', help: 'Refuse (per device) devices with less flash than SIZE (4MB, 8MB…)' },
  { name: 'stall-timeout', kind: 'value', valueName: 'SECONDS', help: `Stop a device that shows no progress for this long (default ${DEFAULT_STALL_MS / 1000}); the others go on` },
];

/** A run is a line run when it names several ports or uses any line option. */
export function isLineRun(o: Options): boolean {
  return o.values('port').length > 1 || LINE_OPTIONS.some((s) => o.has(s.name));
}

/** The same options with a placeholder port, for the shared connect-option reader (ports are set per device). */
function withoutPorts(o: Options): Options {
  const options = new Map(o.parsed.options);
  options.set('port', ['(line)']);
  return new Options({ options, positionals: o.positionals }, o.command);
}

function minFlashSize(o: Options): number | undefined {
  const text = o.string('min-flash-size');
  if (text === undefined) return undefined;
  const norm = normalizeFlashSize(text);
  const bytes = norm && norm !== 'detect' && norm !== 'keep' ? flashSizeBytes(norm) : undefined;
  if (bytes !== undefined) return bytes;
  return parseNumber(text, '--min-flash-size');
}

export async function runLineFlash(o: Options, out: OutFn, ctx: CliContext): Promise<number> {
  const watch = o.has('watch');
  const retryFile = o.string('retry-failed');
  if (watch && retryFile)
    throw new UsageError('--watch and --retry-failed do not go together: --watch flashes each new device once; --retry-failed flashes the failed ones of a report once.');
  if (watch && !ctx.signal) throw new UsageError('--watch runs until it is interrupted (Ctrl-C); it needs a terminal or a caller that can stop it.');
  const stallText = o.string('stall-timeout');
  const stallMs = stallText !== undefined ? parseNumber(stallText, '--stall-timeout') * 1000 : DEFAULT_STALL_MS;
  if (stallMs <= 0) throw new UsageError('--stall-timeout: give a number of seconds above 0.');
  const minFlash = minFlashSize(o);
  const strayPort = o.has('ports') ? o.positionals.find((w) => /^\/dev\/|^COM\d+$/i.test(w)) : undefined;
  if (strayPort) {
    throw new UsageError(`"${strayPort}" looks like a serial port, not a build or file: the shell expanded the --ports pattern. Quote it: --ports "/dev/ttyUSB*".`);
  }

  // Files first: a report that cannot be written (or read) is said before anything is flashed.
  let writer: ReportWriter | undefined;
  let failed: DeviceRecord[] | undefined;
  try {
    const reportFile = o.string('report');
    if (reportFile) writer = ReportWriter.open(reportFile, '--report');
    if (retryFile) failed = failedDevices(readReport(retryFile));
  } catch (e) {
    if (e instanceof ReportFileError) {
      ctx.err(`esp-flasher flash: ${e.message}`);
      return 2;
    }
    throw e;
  }

  const userChip = parseChipOption(o.string('chip'));
  const inputs = await loadFlashInputs(o, userChip === 'auto' ? undefined : userChip);
  // As for one device: the job judges the rules with each device's facts (and --force).
  if (inputProblemsStop(inputs, 'job', out, ctx.err)) return 1;
  const { connect, notes } = jobConnectOptions(withoutPorts(o), inputs.plan, userChip);
  // The expected chip is a per-device verdict on the line, not a connection error.
  const expectChip = userChip !== 'auto' ? userChip : inputs.plan.chip;
  const { port: _placeholder, ...shared } = connect;
  const job: LineJob = {
    segments: inputs.segments,
    options: {
      ...shared,
      chip: 'auto',
      settings: inputs.settings,
      compress: !o.has('no-compress'),
      verify: !o.has('no-verify'),
      skipUnchanged: !o.has('no-skip'),
      force: o.has('force'),
      ...(inputs.hostKey ? { hostKey: inputs.hostKey } : {}),
    },
    expect: { ...(expectChip ? { chip: expectChip } : {}), ...(minFlash !== undefined ? { minFlashSize: minFlash } : {}) },
  };
  const list: PortLister = ctx.listPorts ?? listSerialPorts;
  const selection = { ports: o.values('port'), patterns: o.values('ports') };

  const head = (what: string): void => {
    out(`Flashing ${inputs.source}${inputs.plan.flashEncryption && inputs.plan.flashEncryption !== 'off' ? ` (flash encryption: ${inputs.plan.flashEncryption})` : ''} ${what}:`);
    for (const line of describeSegments(inputs.segments)) out(line);
    for (const n of notes) out(n);
    if (writer) out(`Report: appending to ${writer.file}.`);
  };
  const reportErrors: string[] = [];
  const onRecord = async (rec: DeviceRecord): Promise<void> => {
    if (!writer) return;
    try {
      await writer.append(rec);
    } catch (e) {
      reportErrors.push(`Could not append ${rec.port}'s record to ${writer.file}: ${(e as Error).message}`);
    }
  };

  if (watch) {
    const patterns = [...selection.patterns, ...selection.ports];
    if (patterns.length === 0) throw new UsageError('--watch needs the fixture\'s ports: --ports auto, --ports "/dev/ttyUSB*" or --port PORT.');
    head(`to each device attached on ${patterns.join(', ')} (Ctrl-C stops)`);
    const printer = new LinePrinter(out, [], { tty: ctx.tty, rawWrite: ctx.rawWrite, plain: true });
    let records: DeviceRecord[];
    try {
      records = await watchLine(job, {
        patterns,
        list,
        signal: ctx.signal,
        stallMs,
        onEvent: printer.listener,
        onRecord: async (rec) => {
          await onRecord(rec);
          printer.note(rec.port, rec.result === 'ok' ? `OK: ${rec.mac ?? ''} flashed in ${rec.seconds.toFixed(1)} s` : `FAILED: ${rec.error ?? rec.outcome}`);
        },
        onAttach: (p) => printer.note(p.port, `attached${p.usbSerial ? ` (USB serial ${p.usbSerial})` : ''}: flashing`),
        onListError: (m) => ctx.err(`Listing ports failed: ${m} (still watching)`),
      });
    } finally {
      printer.finish();
    }
    for (const m of reportErrors) ctx.err(m);
    out('');
    for (const line of lineTable(records)) out(line);
    // Stopping the watch with Ctrl-C is how it ends; the devices decide the status.
    return records.every((r) => r.result === 'ok') && reportErrors.length === 0 ? 0 : 1;
  }

  let ports: LinePort[];
  try {
    if (failed) {
      if (failed.length === 0) {
        out(`${retryFile}: no device's latest record failed; nothing to retry.`);
        return 0;
      }
      const listed = await list().catch(() => []);
      const targets = retryTargets(failed, listed);
      for (const m of targets.missing) ctx.err(`Not found now: ${m.usbSerial ? `USB serial ${m.usbSerial} (was on ${m.port})` : m.port}; plug it in and retry again.`);
      ports = targets.ports;
      if (selection.ports.length || selection.patterns.length) {
        const wanted = new Set((await selectPorts(selection, list)).map((p) => portIdentity(p.port)));
        ports = ports.filter((p) => wanted.has(portIdentity(p.port)));
      }
      if (ports.length === 0) {
        ctx.err(
          `None of the ${failed.length} failed device(s) in ${retryFile} is present${selection.ports.length || selection.patterns.length ? ' on the ports given' : ''}: nothing was flashed.`,
        );
        return 1;
      }
    } else ports = await selectPorts(selection, list);
  } catch (e) {
    if (e instanceof PortSelectionError) {
      ctx.err(`esp-flasher flash: ${portSelectionText(e)}`);
      return 2;
    }
    throw e;
  }

  head(`to ${ports.length} device${ports.length === 1 ? '' : 's'} (${ports.map((p) => p.port + (p.baud ? `@${p.baud}` : '')).join(', ')})`);
  const printer = new LinePrinter(out, ports, { tty: ctx.tty, rawWrite: ctx.rawWrite, ...(ctx.tty && process.stdout.columns ? { columns: process.stdout.columns } : {}) });
  let records: DeviceRecord[];
  try {
    records = await runLine(ports, job, { signal: ctx.signal, onEvent: printer.listener, onRecord, stallMs });
  } finally {
    printer.finish();
  }
  for (const m of reportErrors) ctx.err(m);
  out('');
  for (const line of lineTable(records)) out(line);
  const code = lineExitCode(records, !!ctx.signal?.aborted);
  return code === 0 && reportErrors.length ? 1 : code;
}

/** A port selection error in the CLI's words: the core's message, and the flags that fix it (by its reason). */
export function portSelectionText(e: PortSelectionError): string {
  switch (e.reason) {
    case 'list-timeout':
      return `${e.message} (--port PORT, repeatable.)`;
    case 'no-match':
      return `${e.pattern && e.pattern.toLowerCase() !== 'auto' ? `--ports ${e.pattern}: ` : ''}${e.message} (--port PORT names one.)`;
    case 'none-given':
      return `${e.message} Add --port PORT (repeatable), --ports auto or --ports "/dev/ttyUSB*".`;
    default:
      return e.message;
  }
}
