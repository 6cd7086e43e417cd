/**
 * RUNWAY_SANDBOX_METRICS: where the embedded default's canary analysis reads metrics. `auto` takes
 * a real Prometheus scraping the sample service when the binary is there and says so, else the
 * query emulator, saying why; `prometheus` without the binary is an error naming the variable.
 */
import { EnvError, parseEnv } from '../../src/config/env';
import { type Sandbox, startSandbox } from '../../src/sandbox';
import { prometheusBinary } from '../../src/stack/local-prometheus';
import { startSandboxMetrics } from '../../src/stack/sandbox-metrics-source';

jest.setTimeout(60_000);

describe('RUNWAY_SANDBOX_METRICS', () => {
  const parsed = (value?: string) => parseEnv({ ...(value === undefined ? {} : { RUNWAY_SANDBOX_METRICS: value }) }).RUNWAY_SANDBOX_METRICS;

  it('defaults to auto and takes the three sources in any case', () => {
    expect(parsed()).toBe('auto');
    expect(parsed(' Prometheus ')).toBe('prometheus');
    expect(parsed('EMULATOR')).toBe('emulator');
  });

  it('refuses anything else, naming the variable and the choices', () => {
    expect(() => parsed('grafana')).toThrow(/RUNWAY_SANDBOX_METRICS: "grafana" is not a metrics source \(auto, prometheus, emulator\)/);
  });
});

describe('startSandboxMetrics', () => {
  let sandbox: Sandbox;
  const savedBin = process.env.PROMETHEUS_BIN;
  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, services: [] });
  });
  afterEach(() => {
    if (savedBin === undefined) delete process.env.PROMETHEUS_BIN;
    else process.env.PROMETHEUS_BIN = savedBin;
  });
  afterAll(() => sandbox.close());

  it('uses the query emulator when asked to', async () => {
    const metrics = await startSandboxMetrics('emulator', sandbox.url);
    expect(metrics.prometheusUrl).toBe(`${sandbox.url}/prometheus`);
    expect(metrics.description).toMatch(/query emulator \(RUNWAY_SANDBOX_METRICS=emulator\)/);
  });

  it('falls back to the emulator without a binary under auto, and refuses under prometheus', async () => {
    process.env.PROMETHEUS_BIN = '/nonexistent/prometheus';
    const metrics = await startSandboxMetrics('auto', sandbox.url);
    expect(metrics.prometheusUrl).toBe(`${sandbox.url}/prometheus`);
    expect(metrics.description).toMatch(/query emulator \(no prometheus binary on PATH/);
    await expect(startSandboxMetrics('prometheus', sandbox.url)).rejects.toThrow(EnvError);
    await expect(startSandboxMetrics('prometheus', sandbox.url)).rejects.toThrow(/RUNWAY_SANDBOX_METRICS=prometheus: no prometheus binary/);
  });

  const withBinary = prometheusBinary() ? it : it.skip;
  if (!prometheusBinary()) console.warn(`${__filename}: the real-Prometheus case is skipped: no prometheus binary on PATH`);
  withBinary('starts a real Prometheus under auto that has scraped the sample service before it returns', async () => {
    const metrics = await startSandboxMetrics('auto', sandbox.url);
    try {
      expect(metrics.prometheusUrl).not.toContain(sandbox.url);
      expect(metrics.description).toMatch(/real Prometheus \(prometheus \d+\.\d+\.\d+.*\) at http:\/\/127\.0\.0\.1:\d+, scraping the sample service every 250ms/);
      const answer = (await (await fetch(`${metrics.prometheusUrl}/api/v1/query?query=${encodeURIComponent('up{job="sample-service"}')}`)).json()) as {
        data: { result: { value: [number, string] }[] };
      };
      expect(answer.data.result.map((r) => r.value[1])).toEqual(['1']);
    } finally {
      await metrics.stop();
    }
  });
});
