/**
 * Why an image file was not written: every finding as a Problem (file, segment or option at
 * fault, and what to change), carried as data so no caller re-parses the text.
 */
import type { Problem } from '../plan/problem';

export class ImageOutError extends Error {
  constructor(
    readonly problems: Problem[],
    /** What was being made ("merged image", "app image"). */
    readonly what: string,
  ) {
    super(`No ${what} was written: ${problems.map((p) => p.message).join(' ')}`);
    this.name = 'ImageOutError';
  }
}
