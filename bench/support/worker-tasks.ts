/**
 * Where the workers' workflow tasks spent their time during a bench phase, summed over every
 * worker's /metrics (the Temporal SDK's own series): per workflow type, how many tasks ran, their
 * mean time in the worker (from its poll to its completion, queueing for the workflow thread
 * included) and how many took over 1 s, over 5 s (where the SDK warns, TMPRL1104) and over 10 s
 * (Temporal's default task timeout: such a task timed out and was sent again); how long tasks
 * waited on the server before a worker took them (schedule-to-start); sticky-cache hits and misses
 * (a miss replays the run's history from the start); tasks that failed. When releases crawl at
 * scale this says whether their tasks queue in the workers or on the server.
 */
import { promSamples } from './prom-samples';
import { readEveryWorkerMetrics, type WorkerProcess } from './worker-process';

const EXECUTION = 'temporal_workflow_task_execution_latency';
const SCHEDULE_TO_START = 'temporal_workflow_task_schedule_to_start_latency';
/** The bounds (ms) the description reports "over": the worker's buckets (src/temporal/runtime.ts); a build without one shows none. */
const REPORTED_BOUNDS_MS = ['1000', '5000', '10000'];

export interface WorkflowTypeTasks {
  tasks: number;
  /** Summed time in the worker (ms). */
  totalMs: number;
  /** Tasks that took at most each bucket's bound (ms, the `le` label). */
  within: Map<string, number>;
  failed: number;
}

export interface WorkerTaskCounters {
  byType: Map<string, WorkflowTypeTasks>;
  scheduleToStart: { tasks: number; totalMs: number };
  sticky: { hits: number; misses: number };
}

function none(): WorkerTaskCounters {
  return { byType: new Map(), scheduleToStart: { tasks: 0, totalMs: 0 }, sticky: { hits: 0, misses: 0 } };
}

function typeEntry(counters: WorkerTaskCounters, type: string): WorkflowTypeTasks {
  let entry = counters.byType.get(type);
  if (!entry) counters.byType.set(type, (entry = { tasks: 0, totalMs: 0, within: new Map(), failed: 0 }));
  return entry;
}

/** Adds `more` times `sign` into `into` (sign -1 subtracts: the counts of a phase). */
function accumulate(into: WorkerTaskCounters, more: WorkerTaskCounters, sign: 1 | -1): void {
  for (const [type, m] of more.byType) {
    const entry = typeEntry(into, type);
    entry.tasks += sign * m.tasks;
    entry.totalMs += sign * m.totalMs;
    entry.failed += sign * m.failed;
    for (const [le, n] of m.within) entry.within.set(le, (entry.within.get(le) ?? 0) + sign * n);
  }
  into.scheduleToStart.tasks += sign * more.scheduleToStart.tasks;
  into.scheduleToStart.totalMs += sign * more.scheduleToStart.totalMs;
  into.sticky.hits += sign * more.sticky.hits;
  into.sticky.misses += sign * more.sticky.misses;
}

/** The counters this module reads out of one worker's /metrics body. */
export function parseWorkerTasks(text: string): WorkerTaskCounters {
  const counters = none();
  for (const { name, labels, value } of promSamples(text)) {
    const type = labels.workflow_type;
    if (name === `${SCHEDULE_TO_START}_count`) counters.scheduleToStart.tasks += value;
    else if (name === `${SCHEDULE_TO_START}_sum`) counters.scheduleToStart.totalMs += value;
    else if (name === 'temporal_sticky_cache_hit') counters.sticky.hits += value;
    else if (name === 'temporal_sticky_cache_miss') counters.sticky.misses += value;
    else if (!type) continue;
    else if (name === `${EXECUTION}_count`) typeEntry(counters, type).tasks += value;
    else if (name === `${EXECUTION}_sum`) typeEntry(counters, type).totalMs += value;
    else if (name === `${EXECUTION}_bucket` && labels.le) {
      const within = typeEntry(counters, type).within;
      within.set(labels.le, (within.get(labels.le) ?? 0) + value);
    } else if (name === 'temporal_workflow_task_execution_failed') typeEntry(counters, type).failed += value;
  }
  return counters;
}

/** What happened between two readings of the same workers. */
export function workerTasksSince(before: WorkerTaskCounters, after: WorkerTaskCounters): WorkerTaskCounters {
  const phase = none();
  accumulate(phase, after, 1);
  accumulate(phase, before, -1);
  return phase;
}

/** Summed over the workers; a worker whose /metrics cannot be read makes the sums unknown (undefined). */
export async function readWorkerTasks(workers: WorkerProcess[]): Promise<WorkerTaskCounters | undefined> {
  const texts = await readEveryWorkerMetrics(workers);
  if (!texts) return undefined;
  const total = none();
  for (const text of texts) accumulate(total, parseWorkerTasks(text), 1);
  return total;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

function describeType(type: string, t: WorkflowTypeTasks): string {
  const bounds = REPORTED_BOUNDS_MS.filter((le) => t.within.has(le));
  const over = bounds.length > 0 ? `; over ${bounds.map((le) => Number(le) / 1000).join('/')} s ${bounds.map((le) => t.tasks - t.within.get(le)!).join('/')}` : '';
  const failed = t.failed > 0 ? `, ${t.failed} failed` : '';
  return `${type} ${t.tasks} (mean ${seconds(t.totalMs / t.tasks)}${over}${failed})`;
}

/**
 * Lines for the bench's output: the task counts and times per workflow type (most tasks first),
 * then the server-side wait and the sticky cache.
 */
export function describeWorkerTasks(phase: WorkerTaskCounters): string[] {
  const types = [...phase.byType].filter(([, t]) => t.tasks > 0).sort(([, a], [, b]) => b.tasks - a.tasks);
  if (types.length === 0) return ['workflow tasks in the workers: none'];
  const { scheduleToStart, sticky } = phase;
  const looked = sticky.hits + sticky.misses;
  return [
    `workflow tasks in the workers (poll to completion): ${types.map(([type, t]) => describeType(type, t)).join(', ')}`,
    `workflow tasks waiting on the server for a worker (schedule-to-start): mean ${scheduleToStart.tasks > 0 ? seconds(scheduleToStart.totalMs / scheduleToStart.tasks) : '-'} over ${scheduleToStart.tasks} tasks; ` +
      `sticky cache ${sticky.hits} hits, ${sticky.misses} misses (each replays the run's history)${looked > 0 ? `, ${((100 * sticky.hits) / looked).toFixed(1)} % hits` : ''}`,
  ];
}

/** Phase by phase: `mark()` reads the workers, `report()` prints what their workflow tasks did since and marks again. */
export function workerTaskPhases(workers: WorkerProcess[], print: (line: string) => void) {
  let last: WorkerTaskCounters | undefined;
  return {
    async mark() {
      last = await readWorkerTasks(workers);
    },
    async report() {
      const before = last;
      await this.mark();
      if (!before || !last) print("workflow tasks in the workers: unknown (a worker's /metrics could not be read)");
      else for (const line of describeWorkerTasks(workerTasksSince(before, last))) print(line);
    },
  };
}
