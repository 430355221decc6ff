/** A finding about a plan or an input file: something a person can act on. */
export interface Problem {
  severity: 'error' | 'warning';
  message: string;
  /** The file at fault, when there is one. */
  file?: string;
  /** The field, segment or setting at fault ("flash_files.0x8000", "segment app"). */
  field?: string;
}

export function hasErrors(problems: Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}
