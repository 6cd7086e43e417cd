/**
 * The one place that turns errors into messages and exit codes, so every command reports
 * problems the same way.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { ServiceError } from '@temporalio/client';
import { ConfigError } from '../config/load';
import { UnknownServiceError } from '../config/plan';
import { ReleaseStuckError } from '../release-client/errors';
import { FreezeUnansweredError } from '../release-client/freeze';
import { ReleaseEndedWithoutOutcomeError } from '../release-client/follow';
import { EnvError } from '../config/env';
import { PayloadKeysError } from '../config/payload-keys';
import { CliError } from './errors';
import { ExitCode, exitCodeForResult } from './exit-codes';

export function errorToExit(err: unknown): { code: number; message: string } {
  if (err instanceof CliError) return { code: err.exitCode, message: err.message };
  if (err instanceof ConfigError || err instanceof EnvError || err instanceof UnknownServiceError || err instanceof PayloadKeysError) {
    return { code: ExitCode.invalidInput, message: err.message };
  }
  // A payload the worker encrypted, read by a CLI without the payload keys (the SDK's converter names the encoding).
  if (/Unknown encoding: binary\/encrypted/.test((err as Error)?.message ?? '')) {
    return { code: ExitCode.invalidInput, message: "the release's payloads are encrypted and this process has no payload keys: set RUNWAY_PAYLOAD_KEYS or RUNWAY_PAYLOAD_KEY_FILE as the workers have them" };
  }
  if (err instanceof ReleaseStuckError || err instanceof FreezeUnansweredError) return { code: ExitCode.error, message: err.message };
  // A final stage recorded before the workflow closed stands; anything else ended without an outcome.
  if (err instanceof ReleaseEndedWithoutOutcomeError) return { code: err.result ? exitCodeForResult(err.result) : ExitCode.noOutcome, message: err.message };
  if (err instanceof WorkflowNotFoundError) return { code: ExitCode.notFound, message: `release not found: ${err.workflowId ?? err.message}` };
  // ServiceError: a client's connection; TransportError: a worker's native connection (`runway worker`).
  if (err instanceof ServiceError || (err as Error)?.name === 'TransportError' || (err as Error)?.message?.includes('Failed to connect')) {
    return { code: ExitCode.error, message: `cannot reach Temporal: ${(err as Error).message} (is TEMPORAL_ADDRESS right? \`runway dev\` starts a local server)` };
  }
  return { code: ExitCode.error, message: (err as Error)?.stack ?? String(err) };
}

/** Wraps a command action: runs it, prints any error to stderr, sets the exit code. */
export function runAction<A extends unknown[]>(action: (...args: A) => Promise<number | void>) {
  return async (...args: A): Promise<void> => {
    try {
      const code = await action(...args);
      process.exitCode = code ?? ExitCode.ok;
    } catch (err) {
      const { code, message } = errorToExit(err);
      process.stderr.write(`runway: ${message}\n`);
      process.exitCode = code;
    }
  };
}
