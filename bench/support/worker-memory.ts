/**
 * A `runway worker`'s memory by area, read from its /metrics (prom-client's process series): how
 * much of what a bench sees as RSS is the V8 heap and how much lies outside it.
 */
import { sampleOf } from '../../src/metrics/worker-memory';
import type { WorkerProcess } from './worker-process';

export interface WorkerMemoryReading {
  rssMiB: number;
  heapUsedMiB: number;
  /** Memory JavaScript objects hold outside the V8 heap (buffers). */
  externalMiB: number;
}

const MiB = 1024 * 1024;

export async function readWorkerMemory(worker: WorkerProcess): Promise<WorkerMemoryReading | undefined> {
  const text = await worker.readMetrics();
  if (text === undefined) return undefined;
  const mib = (series: string) => (sampleOf(text, series) ?? NaN) / MiB;
  return { rssMiB: mib('process_resident_memory_bytes'), heapUsedMiB: mib('nodejs_heap_size_used_bytes'), externalMiB: mib('nodejs_external_memory_bytes') };
}

/** What `n` releases in flight added to the workers, per release (KiB), from readings before and with them. */
export function perReleaseKiB(before: (WorkerMemoryReading | undefined)[], during: (WorkerMemoryReading | undefined)[], n: number): { heapKiB: number; rssKiB: number; externalKiB: number } {
  const added = (pick: (r: WorkerMemoryReading) => number) => during.reduce((sum, r, i) => sum + (r && before[i] ? pick(r) - pick(before[i]!) : NaN), 0);
  return { heapKiB: (added((r) => r.heapUsedMiB) * 1024) / n, rssKiB: (added((r) => r.rssMiB) * 1024) / n, externalKiB: (added((r) => r.externalMiB) * 1024) / n };
}
