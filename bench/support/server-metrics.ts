/**
 * What the Temporal server did during a bench phase, from its Prometheus `/metrics` (the dev
 * server's `--metrics-port`): database operations by kind (`persistence_requests`, and the time
 * spent in them), the API calls it answered (`service_requests` on the frontend) and its history
 * cache's churn. When the server is the bottleneck — one core, SQLite — this says which of
 * Runway's habits it pays for.
 */
import { promSamples } from './prom-samples';

export interface ServerCounters {
  /** By persistence operation (UpdateWorkflowExecution, AppendHistoryNodes, …): requests and seconds spent. */
  persistence: Map<string, { requests: number; seconds: number }>;
  /** Frontend API calls by operation (RecordActivityTaskHeartbeat, PollWorkflowTaskQueue, …). */
  rpcs: Map<string, number>;
  /**
   * The history service's workflow cache: `cleared`, cached workflow states thrown away
   * (`workflow_context_cleared`), so the next request for the workflow reads it from the database
   * again; `byIdAlone`, requests naming a workflow by id alone (no run id: signals, updates,
   * describes), each of which clears the entry it used (`cache_requests` of
   * HistoryCacheGetOrCreateCurrent). What is cleared beyond those is the churn: a request or
   * workflow task that failed, a sticky queue given up (server v1.29.1, workflow/cache/cache.go).
   */
  historyCache: { cleared: number; byIdAlone: number };
}

/** Parses the counters this module reads out of a Prometheus text exposition. */
export function parseServerCounters(text: string): ServerCounters {
  const counters: ServerCounters = { persistence: new Map(), rpcs: new Map(), historyCache: { cleared: 0, byIdAlone: 0 } };
  for (const { name, labels, value } of promSamples(text)) {
    if (name === 'workflow_context_cleared') counters.historyCache.cleared += value;
    if (name === 'cache_requests' && labels.cache_type === 'mutablestate' && labels.operation === 'HistoryCacheGetOrCreateCurrent') counters.historyCache.byIdAlone += value;
    const operation = labels.operation;
    if (!operation) continue;
    if (name === 'persistence_requests' || name === 'persistence_latency_sum') {
      const entry = counters.persistence.get(operation) ?? { requests: 0, seconds: 0 };
      if (name === 'persistence_requests') entry.requests += value;
      else entry.seconds += value;
      counters.persistence.set(operation, entry);
    } else if (name === 'service_requests' && labels.service_name === 'frontend') {
      counters.rpcs.set(operation, (counters.rpcs.get(operation) ?? 0) + value);
    }
  }
  return counters;
}

export async function scrapeServerCounters(url: string): Promise<ServerCounters> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return parseServerCounters(await response.text());
}

/** What happened between two scrapes. */
export function countersSince(before: ServerCounters, after: ServerCounters): ServerCounters {
  const persistence = new Map<string, { requests: number; seconds: number }>();
  for (const [op, a] of after.persistence) {
    const b = before.persistence.get(op) ?? { requests: 0, seconds: 0 };
    if (a.requests > b.requests) persistence.set(op, { requests: a.requests - b.requests, seconds: a.seconds - b.seconds });
  }
  const rpcs = new Map<string, number>();
  for (const [op, a] of after.rpcs) if (a > (before.rpcs.get(op) ?? 0)) rpcs.set(op, a - (before.rpcs.get(op) ?? 0));
  const historyCache = { cleared: after.historyCache.cleared - before.historyCache.cleared, byIdAlone: after.historyCache.byIdAlone - before.historyCache.byIdAlone };
  return { persistence, rpcs, historyCache };
}

/** Three lines, each per release: the busiest database operations (by time), API calls (by count) and the history cache's churn. */
export function describeServerCounters(counters: ServerCounters, releases: number, top = 6): string[] {
  const per = (v: number) => (v / releases).toFixed(1);
  const db = [...counters.persistence].sort((a, b) => b[1].seconds - a[1].seconds);
  const dbSeconds = db.reduce((sum, [, v]) => sum + v.seconds, 0);
  const dbRequests = db.reduce((sum, [, v]) => sum + v.requests, 0);
  const rpcs = [...counters.rpcs].sort((a, b) => b[1] - a[1]);
  const rpcTotal = rpcs.reduce((sum, [, v]) => sum + v, 0);
  return [
    `database: ${per(dbRequests)} operations and ${((dbSeconds / releases) * 1000).toFixed(0)} ms per release; by time: ` +
      db
        .slice(0, top)
        .map(([op, v]) => `${op} ${per(v.requests)} (${Math.round((100 * v.seconds) / Math.max(dbSeconds, 1e-9))} %)`)
        .join(', '),
    `API: ${per(rpcTotal)} calls per release; most: ` +
      rpcs
        .slice(0, top)
        .map(([op, v]) => `${op} ${per(v)}`)
        .join(', '),
    `history cache: ${per(counters.historyCache.cleared - counters.historyCache.byIdAlone)} workflow states thrown away after a failure (besides ${per(counters.historyCache.byIdAlone)} requests by workflow id alone, each clearing its own)`,
  ];
}
