/** An input file that cannot be understood; the message names the file/field and what to do. */
export class FormatError extends Error {
  constructor(
    message: string,
    readonly file?: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'FormatError';
  }
}
