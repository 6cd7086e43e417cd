/**
 * The scale bench's reading of where the workers' workflow tasks spent their time
 * (bench/support/worker-tasks.ts), from the SDK exporter's series as a worker's /metrics prints them.
 */
import { describeWorkerTasks, parseWorkerTasks, workerTasksSince } from '../../bench/support/worker-tasks';

const QUEUE = 'namespace="default",service_name="temporal-core-sdk",task_queue="bench-1"';

/** One workflow type's execution histogram, with the worker's buckets or the SDK's (which stop at 1 s). */
function execution(type: string, within: Record<string, number>, sum: number, count: number): string {
  const tags = `${QUEUE},workflow_type="${type}"`;
  return [
    ...Object.entries(within).map(([le, n]) => `temporal_workflow_task_execution_latency_bucket{${tags},le="${le}"} ${n}`),
    `temporal_workflow_task_execution_latency_bucket{${tags},le="+Inf"} ${count}`,
    `temporal_workflow_task_execution_latency_sum{${tags}} ${sum}`,
    `temporal_workflow_task_execution_latency_count{${tags}} ${count}`,
  ].join('\n');
}

function exposition(release: { within: Record<string, number>; sum: number; count: number }, misses: number): string {
  return [
    '# TYPE temporal_workflow_task_execution_latency histogram',
    execution('release', release.within, release.sum, release.count),
    execution('githubWriter', { '1000': 4, '5000': 5, '10000': 5 }, 9_000, 6),
    `temporal_workflow_task_execution_failed{${QUEUE},workflow_type="githubWriter",failure_reason="timeout"} 1`,
    `temporal_workflow_task_schedule_to_start_latency_sum{${QUEUE}} ${release.count * 500}`,
    `temporal_workflow_task_schedule_to_start_latency_count{${QUEUE}} ${release.count + 6}`,
    `temporal_sticky_cache_hit{${QUEUE},workflow_type="release"} ${release.count - misses}`,
    `temporal_sticky_cache_miss{${QUEUE},workflow_type="release"} ${misses}`,
    `temporal_num_pollers{${QUEUE},poller_type="workflow_task"} 8`,
  ].join('\n');
}

it("gives a phase's tasks per workflow type, most first: mean time in the worker, how many over 1, 5 and 10 s, failures; then the server's wait and the sticky cache", () => {
  const before = parseWorkerTasks(exposition({ within: { '1000': 90, '5000': 100, '10000': 100 }, sum: 20_000, count: 100 }, 2));
  const after = parseWorkerTasks(exposition({ within: { '1000': 290, '5000': 380, '10000': 398 }, sum: 620_000, count: 400 }, 12));
  // The second reading has the writer's counts unchanged, so in the phase it ran no task.
  expect(describeWorkerTasks(workerTasksSince(before, after))).toEqual([
    'workflow tasks in the workers (poll to completion): release 300 (mean 2.00 s; over 1/5/10 s 100/20/2)',
    'workflow tasks waiting on the server for a worker (schedule-to-start): mean 0.50 s over 300 tasks; sticky cache 290 hits, 10 misses (each replays the run\'s history), 96.7 % hits',
  ]);
  // A whole reading: the writer's one failure and its timing show.
  expect(describeWorkerTasks(after)[0]).toContain('githubWriter 6 (mean 1.50 s; over 1/5/10 s 2/1/1, 1 failed)');
});

it("reports only the bounds a worker's buckets have (a build on the SDK's own, which stop at 1 s)", () => {
  const counters = parseWorkerTasks(execution('lane', { '500': 7, '1000': 9 }, 4_000, 10));
  expect(describeWorkerTasks(counters)[0]).toBe('workflow tasks in the workers (poll to completion): lane 10 (mean 0.40 s; over 1 s 1)');
});

it('says so when the workers ran no workflow task in the phase', () => {
  const reading = parseWorkerTasks(exposition({ within: { '1000': 1 }, sum: 5, count: 1 }, 0));
  expect(describeWorkerTasks(workerTasksSince(reading, reading))).toEqual(['workflow tasks in the workers: none']);
});
