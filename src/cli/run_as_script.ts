import { formatError } from './format_error';

/**
 * Finish a command-line entry point: set the exit code from the job's result, print an error
 * as one paragraph (stack only with --debug), and exit even if a handle lingers, so a shell or
 * CI step never hangs on us.
 */
export function runAsScript(job: Promise<number>): void {
  const debug = process.argv.includes('--debug');
  const finish = (code: number) => {
    process.exitCode = code;
    setTimeout(() => process.exit(code), 1500).unref();
  };
  job.then(finish, (e: unknown) => {
    process.stderr.write(formatError(e, debug) + '\n');
    finish(1);
  });
}
