import { ExitCode } from './exit-codes';

/** An error the CLI reports as one line and an exit code (no stack trace). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const invalidInput = (message: string) => new CliError(message, ExitCode.invalidInput);
/** The request was refused: by the release (approver not allowed, wrong stage) or because another release of the service is in flight. */
export const refused = (message: string) => new CliError(message, ExitCode.refused);
