/**
 * The sandbox's Prometheus query API, read through Runway's own Prometheus provider with the
 * default PromQL templates: numbers follow what ECS really runs (no canary tasks → no data;
 * traffic split by task share) and the scenario's canary behaviour for the running image.
 */
import { DescribeTaskDefinitionCommand, type ECSClient, RegisterTaskDefinitionCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { DEFAULT_QUERIES as queries } from '../../src/config/schema';
import { createPrometheusProvider } from '../../src/metrics/prometheus';
import type { MetricsQuery } from '../../src/metrics/provider';
import type { Sandbox } from '../../src/sandbox';
import { ecsClient, startCheckoutMetricsSandbox, until } from '../support/sandbox-clients';

let sandbox: Sandbox;
let ecs: ECSClient;
beforeEach(async () => {
  sandbox = await startCheckoutMetricsSandbox();
  ecs = ecsClient(sandbox);
});
afterEach(async () => {
  ecs.destroy();
  await sandbox.close();
});

const provider = () => createPrometheusProvider({ baseUrl: `${sandbox.url}/prometheus`, queries });
const query = (track: 'canary' | 'stable'): MetricsQuery => ({ service: 'checkout', environment: 'production', track, windowMs: 10_000 });

/** Puts one canary task on a copy of the production task definition running `tag`. */
async function runCanary(tag: string): Promise<void> {
  const { taskDefinition } = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'checkout-production' }));
  const registered = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'checkout-production',
      containerDefinitions: taskDefinition!.containerDefinitions!.map((c) => ({ ...c, image: `registry.local/checkout:${tag}` })),
    }),
  );
  await ecs.send(
    new UpdateServiceCommand({ cluster: 'production', service: 'checkout-canary', taskDefinition: registered.taskDefinition!.taskDefinitionArn, desiredCount: 1 }),
  );
  await until(() => provider().trackMetrics(query('canary')), (m) => m.requests !== undefined);
}

describe('sandbox Prometheus API', () => {
  it('has no canary data while the canary runs no tasks, and healthy stable numbers', async () => {
    expect(await provider().trackMetrics(query('canary'))).toEqual({ requests: undefined, errorRate: undefined, p99Ms: undefined });
    // The default 1000 req/s over 10 s, all on stable.
    expect(await provider().trackMetrics(query('stable'))).toEqual({ requests: 10000, errorRate: 0.002, p99Ms: 120 });
  });

  it('splits traffic by task share and makes a scripted bad version look bad', async () => {
    sandbox.setScenario({ canary: { bad1: { behaviour: 'errors' } }, traffic: { rps: 1000 } });
    await runCanary('bad1');
    const canary = await provider().trackMetrics(query('canary'));
    // One canary task next to nine stable ones: a tenth of 1000 req/s over 10 s.
    expect(canary).toEqual({ requests: 1000, errorRate: 0.15, p99Ms: 120 });
    expect(await provider().trackMetrics(query('stable'))).toMatchObject({ requests: 9000, errorRate: 0.002 });
    const calls = sandbox.calls().prometheus;
    expect(calls.at(-1)).toMatchObject({ operation: 'query', status: 200, request: { query: expect.stringContaining('track="stable"') } });
  });

  it('raises latency for a slow version and returns nothing for a no-data version', async () => {
    sandbox.setScenario({ canary: { slow: { behaviour: 'latency' } } });
    await runCanary('slow');
    expect((await provider().trackMetrics(query('canary'))).p99Ms).toBe(360);
    sandbox.setScenario({ canary: { slow: { behaviour: 'no-data' } } });
    expect(await provider().trackMetrics(query('canary'))).toEqual({ requests: undefined, errorRate: undefined, p99Ms: undefined });
  });

  it('answers a query without a query parameter like Prometheus: 400 bad_data', async () => {
    const res = await fetch(`${sandbox.url}/prometheus/api/v1/query`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ status: 'error', errorType: 'bad_data' });
    await expect(createPrometheusProvider({ baseUrl: `${sandbox.url}/nowhere`, queries }).trackMetrics(query('stable'))).rejects.toThrow(
      /Prometheus query failed \(404\)/,
    );
  });
});
