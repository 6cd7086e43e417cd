/**
 * The worker process's own series on /metrics (issue 20), from prom-client's default collectors:
 * resident memory, the V8 heap (used and total, by space), memory held outside it by JavaScript
 * objects, event-loop lag, GC. With them an operator can tell whether a worker's memory grows with
 * the releases in flight in its heap (workflow state, activities waiting) or outside it (the SDK's
 * native core, allocator arenas) — RSS alone cannot — and the scale bench reads them per release.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';

export interface WorkerProcessMetrics {
  /** The series in Prometheus text format. */
  render(): Promise<string>;
}

export function workerProcessMetrics(): WorkerProcessMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return { render: () => registry.metrics() };
}

/** One sample's value from a /metrics body (`name` with its labels, as printed), or undefined. */
export function sampleOf(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1).split(' ')[0]);
}
