/**
 * The retry decision for AWS errors that the emulator cannot easily produce on the wire
 * (test/sandbox/ecs-errors.contract.test.ts covers the ones it can).
 */
import { awsFailure, FailureType, RetryableAwsType } from '../../activities/errors';

const named = (name: string, message = 'm') => Object.assign(new Error(message), { name });

it.each([
  ['ClusterNotFoundException', FailureType.notFound],
  ['ServiceNotActiveException', FailureType.notFound],
  ['ClientException', FailureType.invalidRequest],
])('%s is not retried (%s)', (name, type) => {
  expect(awsFailure(named(name), 'doing it')).toMatchObject({ nonRetryable: true, type, message: `doing it: ${name}: m` });
});

it.each([
  ['ThrottlingException', RetryableAwsType.throttled],
  ['TooManyRequestsException', RetryableAwsType.throttled],
  ['ServerException', RetryableAwsType.unavailable],
  ['TimeoutError', RetryableAwsType.unavailable],
  ['Error', RetryableAwsType.unavailable],
])('%s is retried by Temporal (%s)', (name, type) => {
  expect(awsFailure(named(name), 'doing it')).toMatchObject({ nonRetryable: false, type });
});

it('names the IAM action on access denied only', () => {
  expect(awsFailure(named('AccessDeniedException', 'no'), 'updating s', 'ecs:UpdateService').message).toBe(
    "updating s: AccessDeniedException: no (the worker's IAM role needs ecs:UpdateService)",
  );
  expect(awsFailure(named('ThrottlingException', 'slow'), 'updating s', 'ecs:UpdateService').message).toBe('updating s: ThrottlingException: slow');
});
