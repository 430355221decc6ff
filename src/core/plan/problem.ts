import type { RuleCode } from '../rules/rule_finding';

/** A finding about a plan or an input file: something a person can act on. */
export interface Problem {
  severity: 'error' | 'warning';
  message: string;
  /** The file at fault, when there is one. */
  file?: string;
  /** The field, segment or setting at fault ("flash_files.0x8000", "segment app"). */
  field?: string;
  /** Set when a rule of src/core/rules found it: which rule, and whether forcing lets the write through. */
  code?: RuleCode;
  overridable?: boolean;
}

export function hasErrors(problems: Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

export function errorProblem(message: string, file?: string, field?: string): Problem {
  return withOptional({ severity: 'error', message }, file, field);
}

export function warningProblem(message: string, file?: string, field?: string): Problem {
  return withOptional({ severity: 'warning', message }, file, field);
}

function withOptional(p: Problem, file?: string, field?: string): Problem {
  if (file !== undefined) p.file = file;
  if (field !== undefined) p.field = field;
  return p;
}

/** "error: message" — one line, as the CLI and the output channel print it (messages name their file). */
export function formatProblem(p: Problem): string {
  return `${p.severity}: ${p.message}`;
}
