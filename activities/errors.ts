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

/** AWS SDK error names that mean "slow down": retryable, and typed so histories show it plainly. */
const THROTTLING_AWS_ERRORS = new Set(['ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded']);

/** Failure type of a retryable AWS error: throttled, or the service failed (5xx, network). */
export const RetryableAwsType = { throttled: 'AwsThrottled', unavailable: 'AwsUnavailable' } as const;

/**
 * Turns an AWS SDK error into a failure with a retry decision. `context` says what was attempted
 * and on what (cluster/service/task definition); `iamAction` (e.g. `ecs:UpdateService`) is named
 * on access denied, so the message says which permission the worker's role lacks. The SDK has
 * already retried throttling and 5xx a few times when this runs; what is left is retryable so
 * Temporal backs off for longer.
 */
export function awsFailure(err: unknown, context: string, iamAction?: string): ApplicationFailure {
  const name = (err as { name?: string }).name ?? 'Error';
  const type = NON_RETRYABLE_AWS_ERRORS[name];
  const hint = type === FailureType.accessDenied && iamAction ? ` (the worker's IAM role needs ${iamAction})` : '';
  const message = `${context}: ${name}: ${(err as Error).message}${hint}`;
  if (type) return nonRetryable(message, type);
  const retryType = THROTTLING_AWS_ERRORS.has(name) ? RetryableAwsType.throttled : RetryableAwsType.unavailable;
  return ApplicationFailure.create({ message, type: retryType, nonRetryable: false, details: [{ awsError: name }] });
}

export function nonRetryable(message: string, type: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ message, type, nonRetryable: true, details: details === undefined ? undefined : [details] });
}
