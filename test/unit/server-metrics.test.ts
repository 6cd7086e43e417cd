/**
 * The scale bench's reading of the Temporal server's /metrics (bench/support/server-metrics.ts):
 * database operations and API calls by kind, and the history cache's churn apart from the
 * clearing every lookup by workflow id alone does, counted between two scrapes and per release.
 * The sample lines are in the form Temporal server v1.29.1's dev server writes them.
 */
import { countersSince, describeServerCounters, parseServerCounters } from '../../bench/support/server-metrics';

const NS = 'namespace_id="01a24ce0_7c46_7247_9918_9e938899f901"';

function scrape({ cleared, byIdAlone, byRun, reads, heartbeats }: { cleared: number; byIdAlone: number; byRun: number; reads: number; heartbeats: number }): string {
  return [
    '# HELP workflow_context_cleared workflow_context_cleared counter',
    '# TYPE workflow_context_cleared counter',
    `workflow_context_cleared{operation="WorkflowContext",service_name="history"} ${cleared}`,
    `cache_requests{cache_type="mutablestate",${NS},operation="HistoryCacheGetOrCreateCurrent",service_name="history"} ${byIdAlone}`,
    `cache_requests{cache_type="mutablestate",${NS},operation="HistoryCacheGetOrCreate",service_name="history"} ${byRun}`,
    `cache_requests{cache_type="events",${NS},operation="EventsCacheGetEvent",service_name="history"} 999`,
    `persistence_requests{namespace="default",operation="GetWorkflowExecution",service_name="history"} ${reads}`,
    `persistence_latency_sum{namespace="default",operation="GetWorkflowExecution",service_name="history"} ${reads / 1000}`,
    `service_requests{namespace="default",operation="RecordActivityTaskHeartbeat",service_name="frontend"} ${heartbeats}`,
    `service_requests{namespace="default",operation="RecordActivityTaskHeartbeat",service_name="history"} ${heartbeats}`,
  ].join('\n');
}

describe('server counters', () => {
  it('reads the history cache: contexts cleared, and lookups by workflow id alone (not those by run)', () => {
    const counters = parseServerCounters(scrape({ cleared: 6140, byIdAlone: 5221, byRun: 40_000, reads: 2648, heartbeats: 10 }));
    expect(counters.historyCache).toEqual({ cleared: 6140, byIdAlone: 5221 });
    expect(counters.persistence.get('GetWorkflowExecution')).toEqual({ requests: 2648, seconds: 2.648 });
    // Only the frontend's API calls count: the history service's copy of a call is not a second one.
    expect(counters.rpcs.get('RecordActivityTaskHeartbeat')).toBe(10);
  });

  it('counts between two scrapes and prints the churn per release, apart from the lookups by id alone', () => {
    const before = parseServerCounters(scrape({ cleared: 3163, byIdAlone: 2822, byRun: 10_000, reads: 2251, heartbeats: 100 }));
    const after = parseServerCounters(scrape({ cleared: 6163, byIdAlone: 4822, byRun: 20_000, reads: 4251, heartbeats: 500 }));
    const since = countersSince(before, after);
    expect(since.historyCache).toEqual({ cleared: 3000, byIdAlone: 2000 });
    const lines = describeServerCounters(since, 100);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('database: 20.0 operations and 20 ms per release; by time: GetWorkflowExecution 20.0 (100 %)');
    expect(lines[1]).toBe('API: 4.0 calls per release; most: RecordActivityTaskHeartbeat 4.0');
    expect(lines[2]).toBe('history cache: 10.0 workflow states thrown away after a failure (besides 20.0 requests by workflow id alone, each clearing its own)');
  });
});
