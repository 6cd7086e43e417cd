/**
 * The sample service's own metrics, for a real Prometheus to scrape (issue 19, part 3): what the
 * service's tasks would export if they counted their requests, in Prometheus text format at
 * `GET /prometheus/metrics`. `http_requests_total{service,environment,track,code}` and
 * `http_request_duration_seconds{…}` (a histogram) grow with time at the traffic the ECS emulator
 * says each track serves (its share of running tasks, DEFAULT_TRAFFIC_RPS or the scenario's), with
 * the error rate and latency the scenario gives the version it runs — the same model the query
 * emulator answers from, but as counters, so Runway's real PromQL (`increase()`, `rate()`,
 * `histogram_quantile()`) sees what a real canary would: a bad version diluted by the window's
 * healthy past until the window has moved past it.
 *
 * The counters advance when read (each scrape integrates the time since the previous one). A
 * track exports series only while it runs tasks, starting from zero each time it does.
 * Under ECS's own strategies, series by `task_revision` (family:revision) too, as
 * src/config/revision-queries.ts's templates select them.
 */
import type { CanaryMetricsBehaviour } from './scenario';
import type { PrometheusEmulator } from './emulator';
import { BAD_ERROR_RATE, BAD_LATENCY_FACTOR, DEFAULT_TRAFFIC_RPS, HEALTHY } from './traffic-model';

/** Bucket upper bounds of the latency histogram, seconds. */
export const LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;

/**
 * A healthy version's latency distribution (share of requests at or under x seconds), piecewise
 * linear; its p99 is HEALTHY.p99Ms. A slow version's is the same stretched BAD_LATENCY_FACTOR times.
 */
const HEALTHY_CDF: [number, number][] = [
  [0, 0],
  [0.01, 0.05],
  [0.025, 0.3],
  [0.05, 0.75],
  // Between the 0.1 s and 0.25 s buckets the share rises linearly through 0.99 at HEALTHY.p99Ms,
  // so histogram_quantile(0.99, …), which interpolates linearly within a bucket, finds it there.
  [0.1, 0.99 - ((HEALTHY.p99Ms / 1000 - 0.1) / 0.15) * (0.999 - 0.99) / (1 - (HEALTHY.p99Ms / 1000 - 0.1) / 0.15)],
  [0.25, 0.999],
  [0.5, 1],
];

function healthyShareUnder(seconds: number): number {
  for (let i = 1; i < HEALTHY_CDF.length; i++) {
    const [x1, y1] = HEALTHY_CDF[i]!;
    if (seconds <= x1) {
      const [x0, y0] = HEALTHY_CDF[i - 1]!;
      return y0 + ((y1 - y0) * (seconds - x0)) / (x1 - x0);
    }
  }
  return 1;
}

function shareUnder(seconds: number, behaviour: CanaryMetricsBehaviour['behaviour']): number {
  return healthyShareUnder(behaviour === 'latency' ? seconds / BAD_LATENCY_FACTOR : seconds);
}

interface SeriesCounters {
  /** The series' labels, as written in the exposition. */
  labels: string;
  ok: number;
  errors: number;
  /** Cumulative count per bucket of LATENCY_BUCKETS_S (then +Inf = ok + errors). */
  buckets: number[];
  sumSeconds: number;
}

type Traffic = { share: number; behaviour: CanaryMetricsBehaviour['behaviour'] };

export class ServiceTrafficMeter {
  /** By series: `track:<service>|<environment>|<track>` or `revision:<service>|<environment>|<family:revision>`. */
  private readonly counters = new Map<string, SeriesCounters>();
  private lastMs: number | undefined;

  constructor(private readonly deps: { emulator: PrometheusEmulator; now: () => number; rps: () => number | undefined }) {}

  /** Integrates the traffic since the previous call at what each track and revision serves now. */
  advance(): void {
    const now = this.deps.now();
    const seconds = this.lastMs === undefined ? 0 : Math.max(0, (now - this.lastMs) / 1000);
    this.lastMs = now;
    const rps = this.deps.rps() ?? DEFAULT_TRAFFIC_RPS;
    const serving = new Map<string, { labels: string; traffic: Traffic }>();
    const environments = new Map<string, { service: string; environment: string }>();
    for (const t of this.deps.emulator.targets) {
      environments.set(`${t.service}|${t.environment}`, { service: t.service, environment: t.environment });
      const traffic = this.deps.emulator.trafficNow(t);
      if (traffic && traffic.behaviour !== 'no-data') {
        serving.set(`track:${t.service}|${t.environment}|${t.track}`, { labels: `service="${t.service}",environment="${t.environment}",track="${t.track}"`, traffic });
      }
    }
    // Under ECS's own strategies one ECS service runs both versions: its tasks label their series by revision.
    for (const { service, environment } of environments.values()) {
      for (const r of this.deps.emulator.revisionsNow(service, environment)) {
        if (r.behaviour === 'no-data') continue;
        serving.set(`revision:${service}|${environment}|${r.revision}`, { labels: `service="${service}",environment="${environment}",task_revision="${r.revision}"`, traffic: r });
      }
    }
    // A track or revision with no tasks has no process to export anything (its series go stale, as
    // when real tasks stop); new tasks start their counters at zero.
    for (const key of [...this.counters.keys()]) if (!serving.has(key)) this.counters.delete(key);
    for (const [key, { labels, traffic }] of serving) {
      const c = this.counters.get(key) ?? { labels, ok: 0, errors: 0, buckets: LATENCY_BUCKETS_S.map(() => 0), sumSeconds: 0 };
      this.counters.set(key, c);
      if (seconds > 0) accumulate(c, rps * traffic.share * seconds, traffic.behaviour);
    }
  }

  /** Prometheus text exposition of every series, advanced to now. */
  exposition(): string {
    this.advance();
    const num = (n: number) => String(Math.round(n * 1000) / 1000);
    const lines = [
      '# HELP http_requests_total Requests the sample service answered, by track (or task revision) and status code.',
      '# TYPE http_requests_total counter',
    ];
    for (const c of this.counters.values()) {
      lines.push(`http_requests_total{${c.labels},code="200"} ${num(c.ok)}`, `http_requests_total{${c.labels},code="500"} ${num(c.errors)}`);
    }
    lines.push('# HELP http_request_duration_seconds Time the sample service took to answer, by track (or task revision).', '# TYPE http_request_duration_seconds histogram');
    for (const c of this.counters.values()) {
      LATENCY_BUCKETS_S.forEach((le, i) => lines.push(`http_request_duration_seconds_bucket{${c.labels},le="${le}"} ${num(c.buckets[i]!)}`));
      lines.push(`http_request_duration_seconds_bucket{${c.labels},le="+Inf"} ${num(c.ok + c.errors)}`);
      lines.push(`http_request_duration_seconds_sum{${c.labels}} ${num(c.sumSeconds)}`, `http_request_duration_seconds_count{${c.labels}} ${num(c.ok + c.errors)}`);
    }
    return `${lines.join('\n')}\n`;
  }
}

/** Adds `requests` answered by a version behaving as `behaviour`. */
function accumulate(c: SeriesCounters, requests: number, behaviour: CanaryMetricsBehaviour['behaviour']): void {
  const errorRate = behaviour === 'errors' ? BAD_ERROR_RATE : HEALTHY.errorRate;
  c.errors += requests * errorRate;
  c.ok += requests * (1 - errorRate);
  LATENCY_BUCKETS_S.forEach((le, i) => (c.buckets[i] += requests * shareUnder(le, behaviour)));
  // The mean of the piecewise-linear distribution, close enough for a _sum.
  c.sumSeconds += requests * (behaviour === 'latency' ? BAD_LATENCY_FACTOR : 1) * 0.04;
}
