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
