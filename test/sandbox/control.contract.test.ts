/** The control API, call recording across systems, and how every route answers bad input. */
import { request as httpRequest } from 'node:http';
import { DescribeServicesCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { type Sandbox, type SandboxCalls, startSandbox } from '../../src/sandbox';
import { ecsClient, getJson, gitHubClient, slackClient, STAGING } from '../support/sandbox-clients';

let sandbox: Sandbox;

beforeEach(async () => {
  sandbox = await startSandbox({ port: 0, services: [STAGING], deploymentDelayMs: 200 });
});

afterEach(async () => {
  await sandbox.close();
});

function send(path: string, init: RequestInit): Promise<{ status: number; body: unknown }> {
  return fetch(`${sandbox.url}${path}`, init).then(async (res) => ({ status: res.status, body: (await res.json()) as unknown }));
}

const ecsTarget = (operation: string) => ({
  'content-type': 'application/x-amz-json-1.1',
  'x-amz-target': `AmazonEC2ContainerServiceV20141113.${operation}`,
});

it('binds to 127.0.0.1 on the port it reports', () => {
  expect(sandbox.url).toBe(`http://127.0.0.1:${sandbox.port}`);
  expect(sandbox.port).toBeGreaterThan(0);
});

it('records every call per system, in order, with one global sequence', async () => {
  const ecs = ecsClient(sandbox);
  await ecs.send(new DescribeServicesCommand({ cluster: 'staging', services: ['checkout'] }));
  await slackClient(sandbox).chat.postMessage({ channel: '#deploys', text: 'hi' });
  await gitHubClient(sandbox).rest.repos.createDeployment({ owner: 'acme', repo: 'checkout', ref: 'main', required_contexts: [] });
  await ecs.send(new UpdateServiceCommand({ cluster: 'staging', service: 'checkout', desiredCount: 3 }));
  await getJson(`${sandbox.url}/services/staging/checkout/health`);
  ecs.destroy();

  const { status, body } = await getJson(`${sandbox.url}/_sandbox/calls`);
  expect(status).toBe(200);
  const calls = body as SandboxCalls;
  const flat = [...calls.ecs, ...calls.slack, ...calls.github, ...calls.health].sort((a, b) => a.seq - b.seq);
  expect(flat.map((c) => [c.seq, c.operation, c.status])).toEqual([
    [1, 'DescribeServices', 200],
    [2, 'chat.postMessage', 200],
    [3, 'POST /repos/acme/checkout/deployments', 201],
    [4, 'UpdateService', 200],
    [5, 'GET health staging/checkout', 200],
  ]);
  expect(calls.ecs[1]!.request).toEqual({ cluster: 'staging', service: 'checkout', desiredCount: 3 });
  expect(new Date(calls.ecs[0]!.at).toISOString()).toBe(calls.ecs[0]!.at);
  // The in-process accessor and the HTTP endpoint agree.
  expect(sandbox.calls()).toEqual(calls);
});

it('merges scenario updates and refuses invalid ones with 400', async () => {
  const put = (body: unknown) => send('/_sandbox/scenario', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(await put({ images: { bad1234: 'crash' } })).toMatchObject({ status: 200 });
  expect(await put({ images: { slow: 'unhealthy' }, checks: { abc: 'failure' }, deploymentDelayMs: 50 })).toMatchObject({ status: 200 });
  expect(await getJson(`${sandbox.url}/_sandbox/scenario`)).toEqual({
    status: 200,
    body: { images: { bad1234: 'crash', slow: 'unhealthy' }, checks: { abc: 'failure' }, deploymentDelayMs: 50 },
  });

  const wrongValue = await put({ images: { x: 'exploding' } });
  expect(wrongValue.status).toBe(400);
  expect((wrongValue.body as { message: string }).message).toMatch(/images\.x/);
  expect((await put({ image: { x: 'crash' } })).status).toBe(400);
  expect(sandbox.scenario().images).toEqual({ bad1234: 'crash', slow: 'unhealthy' });
});

it('answers a bad JSON body with 400 and a message on every route', async () => {
  const bad = '{"oops":';
  const ecs = await send('/', { method: 'POST', headers: ecsTarget('DescribeServices'), body: bad });
  expect(ecs).toMatchObject({ status: 400, body: { __type: 'SerializationException', message: expect.stringMatching(/JSON/) as unknown } });
  const scenario = await send('/_sandbox/scenario', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: bad });
  expect(scenario).toMatchObject({ status: 400, body: { message: expect.stringMatching(/JSON/) as unknown } });
  const github = await send('/github/repos/acme/checkout/deployments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: bad });
  expect(github).toMatchObject({ status: 400, body: { message: 'Problems parsing JSON' } });
  const slack = await send('/slack/api/chat.postMessage', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer xoxb-1' }, body: bad });
  expect(slack).toMatchObject({ status: 400, body: { ok: false, error: 'invalid_json' } });
  // Refused calls are recorded too, with the status they got.
  expect(sandbox.calls().ecs).toEqual([expect.objectContaining({ operation: 'DescribeServices', status: 400 })]);
});

it('refuses a body over 5 MiB with 413 JSON and keeps serving', async () => {
  const limit = 5 * 1024 * 1024;
  // Chunked (no Content-Length), so the limit applies while reading.
  const refused = await new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    const req = httpRequest(`${sandbox.url}/`, { method: 'POST', headers: { ...ecsTarget('DescribeServices'), 'transfer-encoding': 'chunked' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
    });
    req.on('error', reject);
    req.end(Buffer.alloc(limit + 1, 'x'));
  });
  expect(refused).toEqual({ status: 413, body: { message: `request body exceeds ${limit} bytes` } });
  expect((await getJson(`${sandbox.url}/_sandbox/scenario`)).status).toBe(200);
});

it('answers unknown ECS operations with UnknownOperationException and unknown paths with 404 JSON', async () => {
  const unknown = await send('/', { method: 'POST', headers: ecsTarget('LaunchRocket'), body: '{}' });
  expect(unknown).toMatchObject({ status: 400, body: { __type: 'UnknownOperationException' } });
  expect(await send('/nothing/here', { method: 'GET' })).toMatchObject({ status: 404, body: { message: expect.any(String) as unknown } });
  expect(await send('/_sandbox/nothing', { method: 'GET' })).toMatchObject({ status: 404 });
  expect(await send('/github/repos/acme/checkout/teleport', { method: 'GET' })).toMatchObject({ status: 404, body: { message: 'Not Found' } });
});

it('shows clusters, services, deployments and task definitions in /_sandbox/state', async () => {
  const { status, body } = await getJson(`${sandbox.url}/_sandbox/state`);
  expect(status).toBe(200);
  expect(body).toMatchObject({
    ecs: {
      clusters: [{ name: 'staging', services: [{ serviceName: 'checkout', deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED' }] }] }],
      taskDefinitions: [{ family: 'checkout-staging', revision: 1 }],
    },
    slack: { messages: [] },
    github: { deployments: [] },
  });
});
