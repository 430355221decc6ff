/**
 * ESP-IDF partition CSV (gen_esp32part.py rules, §7): `Name, Type, SubType, Offset, Size, Flags`,
 * size suffixes K/M, empty offsets placed after the previous partition at the type's alignment.
 */
import type { PartitionRef } from '../plan/flash_plan';
import { errorProblem, type Problem } from '../plan/problem';
import { hex, parseFlashNumber } from './bytes';
import {
  FLAG_ENCRYPTED,
  FLAG_READONLY,
  PARTITION_TABLE_DEFAULT_OFFSET,
  PARTITION_TABLE_SECTOR,
  SUBTYPES,
  TYPE,
  checkPartitions,
  makePartition,
  offsetAlignment,
} from './partition_table';

export interface ParsedPartitionCsv {
  partitions: PartitionRef[];
  problems: Problem[];
}

function parseType(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (t in TYPE) return TYPE[t as keyof typeof TYPE];
  const n = parseFlashNumber(t);
  return n !== undefined && n <= 0xfe ? n : undefined;
}

function parseSubtype(type: number, text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (t === '') return type === TYPE.app ? undefined : SUBTYPES[TYPE.data].undefined;
  const named = SUBTYPES[type]?.[t];
  if (named !== undefined) return named;
  const n = parseFlashNumber(t);
  return n !== undefined && n <= 0xfe ? n : undefined;
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

export function parsePartitionCsv(text: string, opts: { file?: string; tableOffset?: number } = {}): ParsedPartitionCsv {
  const file = opts.file ?? 'partitions.csv';
  const tableOffset = opts.tableOffset ?? PARTITION_TABLE_DEFAULT_OFFSET;
  const problems: Problem[] = [];
  const partitions: PartitionRef[] = [];
  const lineOf: number[] = [];
  let next = tableOffset + PARTITION_TABLE_SECTOR;

  const lines = text.split(/\r?\n/);
  lines.forEach((raw, idx) => {
    const line = raw.trim();
    const lineNo = idx + 1;
    if (line === '' || line.startsWith('#')) return;
    const where = `line ${lineNo}`;
    const err = (m: string) => problems.push(errorProblem(`${file} ${where}: ${m}`, file, where));
    const fields = line.split(',').map((f) => f.trim());
    if (fields.length < 5) {
      err(`expected "Name, Type, SubType, Offset, Size[, Flags]" but found ${fields.length} field(s): "${line}".`);
      return;
    }
    const [name, typeText, subText, offText, sizeText] = fields;
    const flagText = fields.slice(5).join(',');
    const type = parseType(typeText);
    if (type === undefined) {
      err(`type "${typeText}" is not app, data, bootloader, partition_table or a number 0x00–0xFE.`);
      return;
    }
    const subtype = parseSubtype(type, subText);
    if (subtype === undefined) {
      const known = Object.keys(SUBTYPES[type] ?? {}).join(', ');
      err(subText === '' ? `an app partition needs a subtype (factory, ota_0, …).` : `subtype "${subText}" is not valid for type ${typeText}${known ? ` (known: ${known})` : ''}.`);
      return;
    }
    let flags = 0;
    for (const f of flagText
      .split(':')
      .map((x) => x.trim().toLowerCase())
      .filter((x) => x !== '')) {
      if (f === 'encrypted') flags |= FLAG_ENCRYPTED;
      else if (f === 'readonly') flags |= FLAG_READONLY;
      else {
        err(`unknown flag "${f}"; use encrypted and/or readonly separated by ":".`);
        return;
      }
    }
    if (sizeText === '') {
      err(`the size of "${name}" is empty; give a size such as 0x6000, 24K or 1M.`);
      return;
    }
    const size = parseFlashNumber(sizeText);
    if (size === undefined) {
      err(`size "${sizeText}" of "${name}" is not a number (write 0x6000, 24576, 24K or 1M).`);
      return;
    }
    let offset: number;
    if (offText === '') {
      offset = alignUp(next, offsetAlignment(type));
    } else {
      const o = parseFlashNumber(offText);
      if (o === undefined) {
        err(`offset "${offText}" of "${name}" is not a number (write 0x10000 or leave it empty).`);
        return;
      }
      offset = o;
    }
    partitions.push(makePartition(name, type, subtype, offset, size, flags));
    lineOf.push(lineNo);
    if (type !== TYPE.bootloader && type !== TYPE.partition_table) next = offset + size;
  });
  problems.push(...checkPartitions(partitions, file, (i) => `line ${lineOf[i]}`, tableOffset));
  return { partitions, problems };
}

function sizeText(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)}M`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024}K`;
  return hex(n);
}

export function writePartitionCsv(parts: PartitionRef[]): string {
  const rows = parts.map((p) => {
    const flags = [p.encrypted ? 'encrypted' : '', p.readonly ? 'readonly' : ''].filter((x) => x).join(':');
    return `${p.label}, ${p.typeName}, ${p.subtypeName}, ${hex(p.offset)}, ${sizeText(p.size)}, ${flags}`.trimEnd();
  });
  return ['# ESP-IDF Partition Table', '# Name, Type, SubType, Offset, Size, Flags', ...rows, ''].join('\n');
}
