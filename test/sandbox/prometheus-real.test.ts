/**
 * The sample service's own counters scraped by a real Prometheus (issue 19, part 3): with
 * Runway's default PromQL templates (increase, rate, histogram_quantile) run by Prometheus 2.42
 * (Debian's package; skipped, saying so, without it) over what it scraped from the sandbox's
 * `GET /prometheus/metrics`, a healthy stable track shows the traffic, error rate and p99 the query
 * emulator answers, and a canary running a scripted bad version shows its errors once its
 * window is past the canary's start.
 */
import { DescribeTaskDefinitionCommand, type ECSClient, RegisterTaskDefinitionCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { DEFAULT_QUERIES as queries } from '../../src/config/schema';
import { createPrometheusProvider } from '../../src/metrics/prometheus';
import type { MetricsQuery } from '../../src/metrics/provider';
import type { Sandbox } from '../../src/sandbox';
import { prometheusBinary, type PrometheusServer, startPrometheus } from '../../src/stack/local-prometheus';
import { ecsClient, startCheckoutMetricsSandbox } from '../support/sandbox-clients';

jest.setTimeout(90_000);
const binary = prometheusBinary();
if (!binary) console.warn(`${__filename}: skipped: no prometheus binary on PATH (.ci/run installs Debian's prometheus package)`);

(binary ? describe : describe.skip)('a real Prometheus scraping the sample service', () => {
  let sandbox: Sandbox;
  let ecs: ECSClient;
  let prometheus: PrometheusServer;
  beforeAll(async () => {
    sandbox = await startCheckoutMetricsSandbox();
    ecs = ecsClient(sandbox);
    prometheus = await startPrometheus([{ job: 'sample-service', targets: [new URL(sandbox.url).host], metricsPath: '/prometheus/metrics' }]);
    await prometheus.untilScraped('sample-service', 2);
  });
  afterAll(async () => {
    ecs.destroy();
    await prometheus.stop();
    await sandbox.close();
  });

  const provider = () => createPrometheusProvider({ baseUrl: prometheus.url, queries });
  const query = (track: 'canary' | 'stable'): MetricsQuery => ({ service: 'checkout', environment: 'production', track, windowMs: 10_000 });
  const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('shows the stable track healthy, then a canary of a bad version failing, through real PromQL', async () => {
    await settle(12_000);
    const stable = await provider().trackMetrics(query('stable'));
    // 1000 req/s over 10 s; Prometheus extrapolates increase() to the window, so within 15 %.
    expect(stable.requests).toBeGreaterThan(8500);
    expect(stable.requests).toBeLessThan(11_500);
    expect(stable.errorRate).toBeCloseTo(0.002, 3);
    expect(stable.p99Ms).toBeGreaterThan(100);
    expect(stable.p99Ms).toBeLessThan(140);
    expect(await provider().trackMetrics(query('canary'))).toEqual({ requests: undefined, errorRate: undefined, p99Ms: undefined });

    sandbox.setScenario({ canary: { bad1: { behaviour: 'errors' } } });
    const { taskDefinition } = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'checkout-production' }));
    const registered = await ecs.send(
      new RegisterTaskDefinitionCommand({ family: 'checkout-production', containerDefinitions: taskDefinition!.containerDefinitions!.map((c) => ({ ...c, image: 'registry.local/checkout:bad1' })) }),
    );
    await ecs.send(new UpdateServiceCommand({ cluster: 'production', service: 'checkout-canary', taskDefinition: registered.taskDefinition!.taskDefinitionArn, desiredCount: 1 }));
    await settle(12_000);
    const canary = await provider().trackMetrics(query('canary'));
    expect(canary.errorRate).toBeGreaterThan(0.12);
    expect(canary.errorRate).toBeLessThan(0.18);
    expect((await provider().trackMetrics(query('stable'))).errorRate).toBeCloseTo(0.002, 3);
  });
});
