/**
 * Where the worker's ECS client sends its calls, decided only by AWS's own configuration chain
 * (createEcsClient takes no endpoint): `AWS_ENDPOINT_URL_ECS`, or `endpoint_url` for ECS in the
 * AWS shared config file (`[services …]` section), or — with neither — the regional AWS
 * endpoint. Each case runs the unmodified client from src/sdk-clients/ecs.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeServicesCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { createEcsClient } from '../../src/sdk-clients/ecs';
import { useEcsSandbox } from '../support/sandbox-clients';

const current = useEcsSandbox();

/** The AWS variables these cases set or must not inherit from the machine running the tests. */
const AWS_VARIABLES = [
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_ECS',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_PROFILE',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS',
];

let saved: Record<string, string | undefined>;
let dir: string;
let client: ECSClient | undefined;

beforeEach(() => {
  saved = Object.fromEntries(AWS_VARIABLES.map((name) => [name, process.env[name]]));
  for (const name of AWS_VARIABLES) delete process.env[name];
  dir = mkdtempSync(join(tmpdir(), 'runway-aws-config-'));
  // Never read the developer's own ~/.aws files.
  process.env.AWS_CONFIG_FILE = join(dir, 'config');
  process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'credentials');
  writeFileSync(process.env.AWS_CONFIG_FILE, '');
});

afterEach(() => {
  client?.destroy();
  client = undefined;
  for (const name of AWS_VARIABLES) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
  rmSync(dir, { recursive: true, force: true });
});

const describeStaging = (ecs: ECSClient) => ecs.send(new DescribeServicesCommand({ cluster: 'staging', services: ['checkout'] }));

it('uses AWS_ENDPOINT_URL_ECS when it is set', async () => {
  Object.assign(process.env, { AWS_ENDPOINT_URL_ECS: current.sandbox.url, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x' });
  client = createEcsClient();
  const out = await describeStaging(client);
  expect(out.services?.[0]?.serviceName).toBe('checkout');
  expect(current.sandbox.calls().ecs.map((c) => c.operation)).toEqual(['DescribeServices']);
});

it('uses the ECS endpoint_url of the profile in the AWS shared config file', async () => {
  writeFileSync(
    process.env.AWS_CONFIG_FILE!,
    [
      '[profile runway-sandbox]',
      'region = us-east-1',
      'aws_access_key_id = x',
      'aws_secret_access_key = x',
      'services = runway-sandbox-endpoints',
      '',
      '[services runway-sandbox-endpoints]',
      'ecs =',
      `  endpoint_url = ${current.sandbox.url}`,
      '',
    ].join('\n'),
  );
  process.env.AWS_PROFILE = 'runway-sandbox';
  client = createEcsClient();
  const out = await describeStaging(client);
  expect(out.services?.[0]?.serviceName).toBe('checkout');
  expect(current.sandbox.calls().ecs.map((c) => c.operation)).toEqual(['DescribeServices']);
});

it('with no endpoint configured, signs for and sends to the regional AWS endpoint', async () => {
  Object.assign(process.env, { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'x' });
  client = createEcsClient();
  // Stop the request just before it would leave the machine, and look at where it was going.
  const seen: { hostname?: string; authorization?: string } = {};
  client.middlewareStack.add(
    () => async (args) => {
      const request = args.request as { hostname?: string; headers?: Record<string, string> };
      seen.hostname = request.hostname;
      seen.authorization = request.headers?.authorization;
      throw new Error('stopped before sending');
    },
    { step: 'finalizeRequest', priority: 'low', name: 'captureDestination' },
  );
  await expect(describeStaging(client)).rejects.toThrow('stopped before sending');
  expect(seen.hostname).toBe('ecs.eu-west-1.amazonaws.com');
  expect(seen.authorization).toMatch(/Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/ecs\/aws4_request/);
  expect(current.sandbox.calls().ecs).toEqual([]);
});
