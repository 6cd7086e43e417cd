/**
 * Where the embedded default's canary analysis reads its numbers (RUNWAY_SANDBOX_METRICS): a real
 * Prometheus scraping the sample service's own counters (the sandbox's `GET /prometheus/metrics`),
 * so Runway's PromQL runs as it would in production, `increase()`'s dilution included; or the
 * sandbox's query emulator, which answers the same queries from the traffic model directly and
 * needs nothing installed. `auto` takes the real one when a prometheus binary is on PATH.
 */
import type { SandboxMetricsSource } from '../config/env';
import { EnvError } from '../config/env';
import { prometheusBinary, prometheusVersion, startPrometheus } from './local-prometheus';

/**
 * A quarter of the demo's 1 s analysis interval: a 1 s `increase()` window then holds four
 * samples, as a production window (minutes) holds many scrapes (15–60 s).
 */
export const SANDBOX_SCRAPE_INTERVAL = '250ms';

export interface SandboxMetrics {
  /** PROMETHEUS_URL for the worker. */
  prometheusUrl: string;
  /** One line naming the source, for `runway dev` and the demo to print. */
  description: string;
  stop(): Promise<void>;
}

export async function startSandboxMetrics(source: SandboxMetricsSource, sandboxUrl: string): Promise<SandboxMetrics> {
  const emulator = (why: string): SandboxMetrics => ({
    prometheusUrl: `${sandboxUrl}/prometheus`,
    description: `canary analysis asks the sandbox's query emulator (${why})`,
    stop: async () => {},
  });
  if (source === 'emulator') return emulator('RUNWAY_SANDBOX_METRICS=emulator');
  const binary = prometheusBinary();
  if (!binary) {
    if (source === 'prometheus') {
      throw new EnvError("RUNWAY_SANDBOX_METRICS=prometheus: no prometheus binary on PATH (install Debian's prometheus package, set PROMETHEUS_BIN, or use auto)");
    }
    return emulator("no prometheus binary on PATH; install Debian's prometheus package to use a real one");
  }
  const server = await startPrometheus([{ job: 'sample-service', targets: [new URL(sandboxUrl).host], metricsPath: '/prometheus/metrics' }], {
    scrapeInterval: SANDBOX_SCRAPE_INTERVAL,
    binary,
  });
  try {
    // Two scrapes before the first release: the stable track's window has data from the start.
    await server.untilScraped('sample-service', 2);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return {
    prometheusUrl: server.url,
    description: `canary analysis asks a real Prometheus (${prometheusVersion(binary)}) at ${server.url}, scraping the sample service every ${SANDBOX_SCRAPE_INTERVAL}`,
    stop: () => server.stop(),
  };
}
