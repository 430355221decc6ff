/**
 * The production report: one record per device, appended to a .jsonl or .csv file (by its
 * extension) so a shift's log grows in one file; a CSV gets its header once, when the file is
 * new or empty. Read back for --retry-failed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DeviceRecord } from './device_record';

export type ReportFormat = 'jsonl' | 'csv';

/** CSV columns, in order (the JSONL records carry the same names). */
export const REPORT_COLUMNS: (keyof DeviceRecord)[] = [
  'time',
  'port',
  'usbSerial',
  'usbLocation',
  'chip',
  'revision',
  'chipDescription',
  'mac',
  'flashSize',
  'security',
  'segmentsWritten',
  'segmentsSkipped',
  'bytesSent',
  'seconds',
  'result',
  'outcome',
  'error',
  'failedSegment',
  'failedOffset',
];

/** A report path the run cannot use; said before anything is flashed. */
export class ReportFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportFileError';
  }
}

/** `what` names where the path came from in messages: the CLI passes "--report", the editor its setting. */
export function reportFormat(file: string, what = 'the report file'): ReportFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.jsonl') return 'jsonl';
  if (ext === '.csv') return 'csv';
  throw new ReportFileError(`${what} ${file}: the report's format comes from its extension; name it *.jsonl (one JSON record per line) or *.csv.`);
}

function csvCell(v: unknown): string {
  if (v === undefined || v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvHeader(): string {
  return REPORT_COLUMNS.join(',');
}

export function csvLine(rec: DeviceRecord): string {
  return REPORT_COLUMNS.map((c) => csvCell(rec[c])).join(',');
}

/** Appends records to one report file; the first append of a CSV to an empty file writes the header. */
export class ReportWriter {
  readonly format: ReportFormat;
  private chain: Promise<void> = Promise.resolve();

  private constructor(
    readonly file: string,
    what: string,
  ) {
    this.format = reportFormat(file, what);
  }

  /** Check the file can be appended to (creating it if needed) — before flashing anything. `what`: as for reportFormat. */
  static open(file: string, what = 'the report file'): ReportWriter {
    const w = new ReportWriter(file, what);
    let fd: number | undefined;
    try {
      if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new ReportFileError(`${what} ${file} is a folder; give a file name ending in .jsonl or .csv.`);
      fd = fs.openSync(file, 'a');
    } catch (e) {
      if (e instanceof ReportFileError) throw e;
      const err = e as NodeJS.ErrnoException;
      const why =
        err.code === 'ENOENT'
          ? 'its folder does not exist'
          : err.code === 'EACCES' || err.code === 'EPERM'
            ? 'permission denied'
            : err.code === 'EROFS'
              ? 'the file system is read-only'
              : err.message;
      throw new ReportFileError(`Cannot write the report ${file}: ${why}. Nothing was flashed; choose a writable path for ${what}.`);
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
    return w;
  }

  /** Append one record (serialised: concurrent devices never interleave a line). */
  append(rec: DeviceRecord): Promise<void> {
    const next = this.chain.then(async () => {
      let text: string;
      if (this.format === 'jsonl') text = JSON.stringify(rec) + '\n';
      else {
        const empty = !fs.existsSync(this.file) || fs.statSync(this.file).size === 0;
        text = (empty ? csvHeader() + '\n' : '') + csvLine(rec) + '\n';
      }
      await fs.promises.appendFile(this.file, text);
    });
    this.chain = next.catch(() => undefined);
    return next;
  }
}

/** Split CSV text into rows of cells (quotes, doubled quotes, newlines inside quotes). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

const NUMERIC = new Set<keyof DeviceRecord>(['flashSize', 'segmentsWritten', 'segmentsSkipped', 'bytesSent', 'seconds']);

/** Every record of a report file (.jsonl or .csv); errors name the file and line. */
export function readReport(file: string): DeviceRecord[] {
  const format = reportFormat(file);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ReportFileError(`Cannot read the report ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}.`);
  }
  const records: DeviceRecord[] = [];
  if (format === 'jsonl') {
    text.split(/\r?\n/).forEach((line, i) => {
      if (!line.trim()) return;
      let rec: DeviceRecord;
      try {
        rec = JSON.parse(line) as DeviceRecord;
      } catch {
        throw new ReportFileError(`${file}, line ${i + 1}: not a JSON record. The report may be damaged; fix or remove that line.`);
      }
      if (typeof rec.port !== 'string' || (rec.result !== 'ok' && rec.result !== 'failed'))
        throw new ReportFileError(`${file}, line ${i + 1}: a record needs "port" and "result" (ok or failed).`);
      records.push(rec);
    });
    return records;
  }
  const rows = parseCsv(text).filter((r) => r.some((c) => c !== ''));
  if (rows.length === 0) return records;
  const head = rows[0];
  const portCol = head.indexOf('port');
  const resultCol = head.indexOf('result');
  if (portCol < 0 || resultCol < 0) throw new ReportFileError(`${file}: the first line is not a report header (it needs the columns port and result).`);
  rows.slice(1).forEach((cells, i) => {
    if (cells.join(',') === head.join(',')) return; // a header repeated by a concatenation
    const rec: Record<string, unknown> = {};
    head.forEach((name, k) => {
      const v = cells[k];
      if (v === undefined || v === '') return;
      rec[name] = NUMERIC.has(name as keyof DeviceRecord) ? Number(v) : v;
    });
    if (rec.result !== 'ok' && rec.result !== 'failed') throw new ReportFileError(`${file}, line ${i + 2}: result must be ok or failed, got "${String(rec.result ?? '')}".`);
    records.push(rec as unknown as DeviceRecord);
  });
  return records;
}

/** The identity of a device across runs: its USB serial number, else its port. */
export function deviceIdentity(rec: { usbSerial?: string; port: string }): string {
  return rec.usbSerial ? `usb:${rec.usbSerial}` : `port:${rec.port}`;
}

/** The devices whose latest record in the report is a failure. */
export function failedDevices(records: DeviceRecord[]): DeviceRecord[] {
  const latest = new Map<string, DeviceRecord>();
  for (const r of records) latest.set(deviceIdentity(r), r);
  return [...latest.values()].filter((r) => r.result === 'failed');
}
