/**
 * The retry decision for AWS errors that only a real AWS account produces: ECS's "try again"
 * ClientException, and a worker whose region or credentials are unusable. The region and
 * credential cases are produced by the real SDK client with an empty AWS environment.
 */
import { ECSClient, ListClustersCommand } from '@aws-sdk/client-ecs';
import { awsFailure, FailureType, RetryableAwsType } from '../../activities/errors';

const named = (name: string, message = 'm') => Object.assign(new Error(message), { name });

it('retries ECS\'s ClientException about concurrent registrations of a family, and no other ClientException', () => {
  const concurrent = named('ClientException', 'Too many concurrent attempts to create a new revision of the specified family.');
  expect(awsFailure(concurrent, 'registering web')).toMatchObject({ nonRetryable: false, type: RetryableAwsType.throttled });
  expect(awsFailure(named('ClientException', 'Container.image should not be null or empty.'), 'registering web')).toMatchObject({
    nonRetryable: true,
    type: FailureType.invalidRequest,
  });
});

it.each([
  ['ExpiredTokenException', 'The security token included in the request is expired'],
  ['UnrecognizedClientException', 'The security token included in the request is invalid.'],
  ['InvalidSignatureException', 'The request signature we calculated does not match the signature you provided.'],
  ['CredentialsProviderError', 'Could not load credentials from any providers'],
])('%s is not retried and says the worker\'s AWS credentials are not usable', (name, message) => {
  const failure = awsFailure(named(name, message), 'describing ECS service c/web', 'ecs:DescribeServices');
  expect(failure).toMatchObject({ nonRetryable: true, type: FailureType.awsConfig });
  expect(failure.message).toContain(`describing ECS service c/web: ${name}: ${message}`);
  expect(failure.message).toMatch(/the worker's AWS credentials or region are not usable: set AWS_REGION and make the default credential chain/);
  // Not an IAM permission problem: no action is named.
  expect(failure.message).not.toContain("IAM role needs");
});

describe('with no AWS configuration in the environment', () => {
  const saved = { ...process.env };
  beforeAll(() => {
    for (const key of Object.keys(process.env)) if (key.startsWith('AWS_')) delete process.env[key];
    // Nowhere to find a region or credentials, and no instance metadata service to wait for.
    Object.assign(process.env, { AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/nonexistent/config', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials' });
  });
  afterAll(() => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });

  async function errorOf(client: ECSClient): Promise<unknown> {
    try {
      await client.send(new ListClustersCommand({}));
    } catch (err) {
      return err;
    } finally {
      client.destroy();
    }
    throw new Error('expected the call to fail');
  }

  it('a missing region is not retried and names AWS_REGION', async () => {
    const err = await errorOf(new ECSClient({ maxAttempts: 1, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));
    const failure = awsFailure(err, 'describing ECS service c/web');
    expect(failure).toMatchObject({ nonRetryable: true, type: FailureType.awsConfig });
    expect(failure.message).toMatch(/Region is missing.*set AWS_REGION/);
  });

  it('missing credentials are not retried and name the credential chain', async () => {
    // An endpoint nothing listens on: the call must fail on credentials before it is sent.
    const err = await errorOf(new ECSClient({ maxAttempts: 1, region: 'us-east-1', endpoint: 'http://127.0.0.1:9' }));
    const failure = awsFailure(err, 'describing ECS service c/web');
    expect(failure).toMatchObject({ nonRetryable: true, type: FailureType.awsConfig });
    expect(failure.message).toMatch(/CredentialsProviderError: .*credential chain/);
  });
});
