/**
 * How failures cross the activity boundary. Errors retrying cannot fix (a missing service, bad
 * config, access denied, a failed deployment) become non-retryable ApplicationFailures with a
 * type the workflow can branch on; anything else stays retryable (throttling, 5xx, network).
 */
import { ApplicationFailure } from '@temporalio/common';

export const FailureType = {
  notFound: 'NotFound',
  accessDenied: 'AccessDenied',
  invalidRequest: 'InvalidRequest',
  deploymentFailed: 'DeploymentFailed',
  deploymentTimedOut: 'DeploymentTimedOut',
  smokeTestFailed: 'SmokeTestFailed',
  buildNotReady: 'BuildNotReady',
} as const;

/** AWS SDK error names that retrying will not fix. */
const NON_RETRYABLE_AWS_ERRORS: Record<string, string> = {
  ClusterNotFoundException: FailureType.notFound,
  ServiceNotFoundException: FailureType.notFound,
  ServiceNotActiveException: FailureType.notFound,
  AccessDeniedException: FailureType.accessDenied,
  UnrecognizedClientException: FailureType.accessDenied,
  InvalidParameterException: FailureType.invalidRequest,
  ClientException: FailureType.invalidRequest,
};

/** Turns an AWS SDK error into a failure with a retry decision; `context` says what was attempted. */
export function awsFailure(err: unknown, context: string): Error {
  const name = (err as { name?: string }).name ?? 'Error';
  const message = `${context}: ${name}: ${(err as Error).message}`;
  const type = NON_RETRYABLE_AWS_ERRORS[name];
  if (type) return ApplicationFailure.nonRetryable(message, type);
  return ApplicationFailure.retryable(message, name);
}

export function nonRetryable(message: string, type: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ message, type, nonRetryable: true, details: details === undefined ? undefined : [details] });
}
