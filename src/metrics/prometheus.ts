/**
 * Prometheus HTTP API provider: one instant query (`GET /api/v1/query`) per signal, from PromQL
 * templates in the config. An empty result is "no data" (undefined), never zero: no data must
 * make a measurement inconclusive, not a pass.
 */
import type { TrackMetrics } from '../domain/canary-analysis';
import { type MetricsProvider, type MetricsQuery, MetricsUnavailableError } from './provider';

export interface PromQueryTemplates {
  requests: string;
  errorRate: string;
  p99Ms: string;
}

export interface PrometheusProviderOptions {
  /** Base URL, e.g. http://prometheus:9090 (PROMETHEUS_URL). */
  baseUrl: string;
  queries: PromQueryTemplates;
  /** Per-query timeout. @default 5000 */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

interface PromResponse {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: string; result: { value?: [number, string] }[] };
}

/** Prometheus range-vector durations: whole seconds are enough for analysis intervals. */
function promDuration(ms: number): string {
  return `${Math.max(1, Math.round(ms / 1000))}s`;
}

/**
 * The PromQL of a template for one query. A template selecting by `{{revision}}` when the query
 * names no revision (a two-service canary's analysis) would match nothing and read as "no data":
 * it throws MetricsUnavailableError instead, so the measurement is inconclusive and says why.
 */
export function renderQuery(template: string, q: MetricsQuery): string {
  const values: Record<string, string | undefined> = {
    service: q.service,
    environment: q.environment,
    track: q.track,
    revision: q.revision,
    interval: promDuration(q.windowMs),
  };
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, key: string) => {
    if (key === 'revision' && q.revision === undefined) {
      throw new MetricsUnavailableError(`the query uses {{revision}} but the ${q.track} track was given no task definition revision — query: ${template}`);
    }
    return values[key] ?? whole;
  });
}

export function createPrometheusProvider(options: PrometheusProviderOptions): MetricsProvider {
  const fetchImpl = options.fetch ?? fetch;
  const base = options.baseUrl.replace(/\/+$/, '');

  async function instant(promql: string): Promise<number | undefined> {
    const url = `${base}/api/v1/query?${new URLSearchParams({ query: promql })}`;
    let res: Response;
    try {
      res = await fetchImpl(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 5000) });
    } catch (err) {
      throw new MetricsUnavailableError(`Prometheus at ${base} unreachable: ${(err as Error).message}`);
    }
    const body = (await res.json().catch(() => undefined)) as PromResponse | undefined;
    if (!res.ok || !body || body.status !== 'success') {
      throw new MetricsUnavailableError(`Prometheus query failed (${res.status}): ${body?.error ?? 'unreadable answer'} — query: ${promql}`);
    }
    const sample = body.data?.result?.[0]?.value?.[1];
    if (sample === undefined) return undefined;
    const value = Number(sample);
    // NaN comes back for 0/0 (no requests): that is no data, not an error rate.
    return Number.isFinite(value) ? value : undefined;
  }

  return {
    async trackMetrics(q: MetricsQuery): Promise<TrackMetrics> {
      const [requests, errorRate, p99Ms] = await Promise.all([
        instant(renderQuery(options.queries.requests, q)),
        instant(renderQuery(options.queries.errorRate, q)),
        instant(renderQuery(options.queries.p99Ms, q)),
      ]);
      return { requests, errorRate, p99Ms };
    },
  };
}
