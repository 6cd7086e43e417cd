/**
 * A Prometheus instant-query API (`GET|POST /prometheus/api/v1/query`) whose numbers come from
 * what the ECS emulator is really running: each metrics target (a service's stable or canary
 * track in one environment) is an ECS service; its share of the traffic is its share of running
 * tasks, and its error rate and latency follow the scenario's canary behaviour for the image it
 * runs. So a bad version looks bad only once, and only as much as, it serves traffic.
 *
 * Queries by revision (a `task_revision="family:revision"` matcher instead of `track`, as
 * src/config/revision-queries.ts's templates select under ECS's own strategies) are answered from the ECS
 * service(s) of the service's targets in that environment: the revision's share is its production
 * traffic weight there (a rolling service's serving revision has all of it), and its numbers
 * follow the scenario's canary behaviour for its images from when its deployment started.
 *
 * It does not evaluate PromQL. It reads the label matchers `service`, `environment` and `track`
 * (or `task_revision`) and recognises the three signals of Runway's default templates: a
 * `histogram_quantile` is the p99 in milliseconds, a query matching `code=~"5.."` is the error
 * rate, anything else is the request count over the query's `[Ns]` window. Answers use
 * Prometheus's JSON envelope.
 */
import type { EcsEmulator } from '../ecs/emulator';
import type { SandboxRequest, SandboxResponse } from '../http/route';
import type { ScenarioStore } from '../scenario';
import type { CanaryMetricsBehaviour } from './scenario';
import { BAD_ERROR_RATE, BAD_LATENCY_FACTOR, DEFAULT_TRAFFIC_RPS, HEALTHY } from './traffic-model';
import { ServiceTrafficMeter } from './traffic-meter';

/** Which ECS service serves one track of one Runway service in one environment. */
export interface MetricsTarget {
  service: string;
  environment: string;
  track: 'stable' | 'canary';
  cluster: string;
  ecsService: string;
}

type Signal = 'requests' | 'errorRate' | 'p99Ms';

export { DEFAULT_TRAFFIC_RPS } from './traffic-model';

function labelValue(query: string, label: string): string | undefined {
  return new RegExp(`\\b${label}\\s*=\\s*"([^"]*)"`).exec(query)?.[1];
}

function signalOf(query: string): Signal {
  if (/histogram_quantile/.test(query)) return 'p99Ms';
  if (/code\s*=~\s*"5/.test(query)) return 'errorRate';
  return 'requests';
}

/** The range of the first `[...]` selector, in seconds (Prometheus durations: ms, s, m, h). */
function windowSeconds(query: string): number {
  const match = /\[(\d+(?:\.\d+)?)(ms|s|m|h)\]/.exec(query);
  if (!match) return 60;
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}

function vector(value: number | undefined, nowMs: number): Record<string, unknown> {
  const result = value === undefined ? [] : [{ metric: {}, value: [nowMs / 1000, String(value)] }];
  return { status: 'success', data: { resultType: 'vector', result } };
}

function badRequest(error: string): SandboxResponse {
  return { status: 400, body: { status: 'error', errorType: 'bad_data', error } };
}

export class PrometheusEmulator {
  /** The sample service's own counters, for a real Prometheus (`GET /prometheus/metrics`). */
  readonly meter: ServiceTrafficMeter;

  constructor(
    private readonly deps: { ecs: EcsEmulator; scenario: ScenarioStore; targets: MetricsTarget[]; now: () => number },
  ) {
    this.meter = new ServiceTrafficMeter({ emulator: this, now: deps.now, rps: () => deps.scenario.get().traffic?.rps });
  }

  handle(path: string, req: SandboxRequest): SandboxResponse {
    if (path === '/metrics' && req.method === 'GET') return { status: 200, text: this.meter.exposition(), headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' } };
    if (path !== '/api/v1/query') return { status: 404, body: { status: 'error', errorType: 'not_found', error: `no route ${path}` } };
    const params = req.method === 'POST' ? new URLSearchParams(req.body) : req.query;
    const query = params.get('query');
    const call = { system: 'prometheus' as const, operation: 'query', request: { query } };
    if (!query) return { ...badRequest('invalid parameter "query": query must not be empty'), call };
    return { status: 200, body: vector(this.evaluate(query), this.deps.now()), call };
  }

  /** The value a query would have now, or undefined for "no data". */
  evaluate(query: string): number | undefined {
    const service = labelValue(query, 'service');
    const environment = labelValue(query, 'environment');
    const revision = labelValue(query, 'task_revision');
    if (revision !== undefined) return this.evaluateRevision(query, { service, environment, revision });
    const track = labelValue(query, 'track');
    const target = this.deps.targets.find((t) => t.service === service && t.environment === environment && t.track === track);
    const traffic = target && this.trafficNow(target);
    if (!traffic || traffic.behaviour === 'no-data') return undefined;
    return this.signalValue(query, traffic.behaviour, traffic.share);
  }

  /** The metrics targets (each track of each service in each environment). */
  get targets(): readonly MetricsTarget[] {
    return this.deps.targets;
  }

  /**
   * What one track serves now: its share of the service's traffic in the environment (its share
   * of running tasks) and how the version it runs behaves; undefined when it runs nothing.
   */
  trafficNow(target: MetricsTarget): { share: number; behaviour: CanaryMetricsBehaviour['behaviour'] } | undefined {
    const serving = this.serving(target);
    if (!serving || serving.running === 0) return undefined;
    const all = this.deps.targets
      .filter((t) => t.service === target.service && t.environment === target.environment)
      .reduce((sum, t) => sum + (this.serving(t)?.running ?? 0), 0);
    return { share: serving.running / all, behaviour: this.behaviourNow(serving) };
  }

  /**
   * A query by task definition revision: the revision's share of the service's traffic in the
   * environment (its production weight in each target's ECS service, times that service's share
   * of running tasks when the targets are several), undefined when it gets none.
   */
  private evaluateRevision(query: string, q: { service?: string; environment?: string; revision: string }): number | undefined {
    if (q.service === undefined || q.environment === undefined) return undefined;
    const traffic = this.revisionsNow(q.service, q.environment).find((r) => r.revision === q.revision);
    if (!traffic || traffic.behaviour === 'no-data') return undefined;
    return this.signalValue(query, traffic.behaviour, traffic.share);
  }

  /**
   * Every task definition revision serving the service's production traffic in the environment:
   * its share (its weight in each target's ECS service, times that service's share of running
   * tasks when the targets are several) and how its images behave since its deployment started.
   */
  revisionsNow(service: string, environment: string): { revision: string; share: number; behaviour: CanaryMetricsBehaviour['behaviour'] }[] {
    const ecsServices = new Map<string, MetricsTarget>();
    for (const t of this.deps.targets) {
      if (t.service === service && t.environment === environment) ecsServices.set(`${t.cluster}/${t.ecsService}`, t);
    }
    const running = [...ecsServices.values()].map((t) => ({ target: t, running: this.serving(t)?.running ?? 0 }));
    const allRunning = running.reduce((sum, r) => sum + r.running, 0);
    const byRevision = new Map<string, { share: number; since: { images: string[]; sinceMs: number } }>();
    for (const { target, running: tasks } of running) {
      if (tasks === 0) continue;
      for (const r of this.deps.ecs.revisionTraffic(target.cluster, target.ecsService) ?? []) {
        if (r.production === 0 || r.deployment.runningCount === 0) continue;
        const entry = byRevision.get(r.revision) ?? { share: 0, since: { images: r.images, sinceMs: r.deployment.createdAtMs } };
        entry.share += (r.production / 100) * (tasks / allRunning);
        if (r.deployment.createdAtMs > entry.since.sinceMs) entry.since = { images: r.images, sinceMs: r.deployment.createdAtMs };
        byRevision.set(r.revision, entry);
      }
    }
    return [...byRevision].filter(([, e]) => e.share > 0).map(([revision, e]) => ({ revision, share: e.share, behaviour: this.behaviourNow(e.since) }));
  }

  private signalValue(query: string, behaviour: CanaryMetricsBehaviour['behaviour'], share: number): number {
    switch (signalOf(query)) {
      case 'requests': {
        const rps = this.deps.scenario.get().traffic?.rps ?? DEFAULT_TRAFFIC_RPS;
        return Math.round(rps * windowSeconds(query) * share);
      }
      case 'errorRate':
        return behaviour === 'errors' ? BAD_ERROR_RATE : HEALTHY.errorRate;
      case 'p99Ms':
        return behaviour === 'latency' ? HEALTHY.p99Ms * BAD_LATENCY_FACTOR : HEALTHY.p99Ms;
    }
  }

  private serving(target: MetricsTarget): { running: number; images: string[]; sinceMs: number } | undefined {
    const serving = this.deps.ecs.servingDeployment(target.cluster, target.ecsService);
    if (serving.kind !== 'serving') return undefined;
    return {
      running: serving.deployment.runningCount,
      images: serving.taskDefinition.containers.map((c) => c.image),
      sinceMs: serving.deployment.createdAtMs,
    };
  }

  /** A bad behaviour starts `afterMs` after the deployment running the image began. */
  private behaviourNow(serving: { images: string[]; sinceMs: number }): CanaryMetricsBehaviour['behaviour'] {
    const scripted = this.deps.scenario.canaryMetrics(serving.images);
    if (!scripted) return 'healthy';
    const started = this.deps.now() - serving.sinceMs >= (scripted.afterMs ?? 0);
    return started ? scripted.behaviour : 'healthy';
  }
}
