/**
 * How failures cross the activity boundary. Errors retrying cannot fix (a missing service, bad
 * config, access denied, unusable AWS credentials, a failed deployment) become non-retryable
 * ApplicationFailures with a type the workflow can branch on; anything else stays retryable
 * (throttling, 5xx, network, ECS's own "try again" refusals).
 */
import { ApplicationFailure } from '@temporalio/common';

export const FailureType = {
  notFound: 'NotFound',
  accessDenied: 'AccessDenied',
  /** The worker's AWS region or credentials are missing, expired or wrong: an operator must fix its environment. */
  awsConfig: 'AwsConfig',
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
  InvalidParameterException: FailureType.invalidRequest,
  ClientException: FailureType.invalidRequest,
};

/**
 * Errors that mean the worker cannot authenticate to AWS at all: no credentials found by the
 * chain, an expired session, a key AWS does not know, or a signature made with the wrong secret.
 * Retrying with the same environment gets the same answer, so the message says what to fix.
 */
const CREDENTIAL_AWS_ERRORS = new Set([
  'CredentialsProviderError',
  'ExpiredTokenException',
  'ExpiredToken',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'IncompleteSignature',
]);

/** The SDK's own wording when neither AWS_REGION nor a profile gives a region (thrown as a plain Error). */
const MISSING_REGION = /^Region is missing/;

/**
 * ClientExceptions that are ECS asking the caller to try again later, not a bad request. Several
 * registrations of one family at once (two releases sharing a family) get this one.
 */
const RETRYABLE_CLIENT_EXCEPTIONS = [/too many concurrent attempts to create a new revision/i];

/** AWS SDK error names that mean "slow down": retryable, and typed so histories show it plainly. */
const THROTTLING_AWS_ERRORS = new Set(['ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded']);

/** Failure type of a retryable AWS error: throttled, or the service failed (5xx, network). */
export const RetryableAwsType = { throttled: 'AwsThrottled', unavailable: 'AwsUnavailable' } as const;

const CREDENTIALS_HINT =
  " (the worker's AWS credentials or region are not usable: set AWS_REGION and make the default credential chain — AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, AWS_PROFILE, or the task/instance role — yield valid, unexpired credentials)";

/**
 * Turns an AWS SDK error into a failure with a retry decision. `context` says what was attempted
 * and on what (cluster/service/task definition); `iamAction` (e.g. `ecs:UpdateService`) is named
 * on access denied, so the message says which permission the worker's role lacks. The SDK has
 * already retried throttling and 5xx a few times when this runs; what is left is retryable so
 * Temporal backs off for longer.
 */
export function awsFailure(err: unknown, context: string, iamAction?: string): ApplicationFailure {
  const name = (err as { name?: string }).name ?? 'Error';
  const text = (err as { message?: string }).message ?? String(err);
  const message = `${context}: ${name}: ${text}`;
  if (CREDENTIAL_AWS_ERRORS.has(name) || MISSING_REGION.test(text)) {
    return nonRetryable(`${message}${CREDENTIALS_HINT}`, FailureType.awsConfig, { awsError: name });
  }
  if (name === 'ClientException' && RETRYABLE_CLIENT_EXCEPTIONS.some((re) => re.test(text))) {
    return ApplicationFailure.create({ message, type: RetryableAwsType.throttled, nonRetryable: false, details: [{ awsError: name }] });
  }
  const type = NON_RETRYABLE_AWS_ERRORS[name];
  const hint = type === FailureType.accessDenied && iamAction ? ` (the worker's IAM role needs ${iamAction})` : '';
  if (type) return nonRetryable(`${message}${hint}`, type);
  const retryType = THROTTLING_AWS_ERRORS.has(name) ? RetryableAwsType.throttled : RetryableAwsType.unavailable;
  return ApplicationFailure.create({ message, type: retryType, nonRetryable: false, details: [{ awsError: name }] });
}

export function nonRetryable(message: string, type: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ message, type, nonRetryable: true, details: details === undefined ? undefined : [details] });
}
