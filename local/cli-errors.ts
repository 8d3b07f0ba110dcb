/**
 * How a command-line entry point (npm start, train, eval) fails: one line on stderr naming the
 * command and what went wrong, credentials redacted, no stack trace (set DEBUG=1 for it), and a
 * non-zero exit code.
 */
import { redactCredentials } from '../core/config/redact.ts';

/** Exit code for a usage or configuration error (bad flag, bad environment variable). */
export const EXIT_USAGE = 2;
/** Exit code for everything else that stops a command. */
export const EXIT_FAILURE = 1;

export function failureLine(command: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return redactCredentials(`${command}: ${message.replace(/\s*\n\s*/g, ' ')}`);
}

export function exitWithFailure(command: string, error: unknown, code = EXIT_FAILURE): never {
  console.error(failureLine(command, error));
  if (process.env.DEBUG && error instanceof Error && error.stack)
    console.error(redactCredentials(error.stack));
  process.exit(code);
}
