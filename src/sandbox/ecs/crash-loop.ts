/**
 * `crash-after:<seconds>`: the rollout completes (so deployment verdicts pass), then every task
 * exits that long after it started, and ECS keeps starting replacements that crash in turn.
 * Only stopped-task analysis notices, which is what the behaviour exists to exercise.
 */
import { addEvent, type DeploymentRecord, type IdSource, type SettlingService, startedTasksMessage } from './deployments';
import { crashAfterMs } from './scenario';
import { CRASH_REASON, crashStop, liveTasks, startTasks } from './tasks';

/** ECS's restart throttling for tasks that keep failing: the delay before replacements doubles, up to a cap. */
const MIN_RESTART_DELAY_MS = 1000;
const MAX_RESTART_DELAY_MS = 300_000;

/** ECS's event once a service's tasks keep failing. */
export const UNSTABLE_TASKS_EVENT = 'is unable to consistently start tasks successfully. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.';

/** How long after its tasks' latest failure ECS starts replacements: doubles with each failed round, capped. */
export function restartDelayMs(d: DeploymentRecord): number {
  const base = Math.max(d.delayMs, MIN_RESTART_DELAY_MS);
  return Math.min(MAX_RESTART_DELAY_MS, base * 2 ** Math.max(0, (d.crashes ?? 1) - 1));
}

/** Plays crashes and restarts of a COMPLETED crash-after deployment, in time order, up to `nowMs`. */
export function settleCrashLoop(service: SettlingService, d: DeploymentRecord, nowMs: number, ids: IdSource): void {
  const runMs = crashAfterMs(d.behaviour);
  if (runMs === undefined || runMs <= 0) return;
  for (;;) {
    const live = liveTasks(service, d.id);
    const crashAt = live.length > 0 ? Math.min(...live.map((t) => (t.startedAtMs ?? t.createdAtMs) + runMs)) : Infinity;
    // Replacements after a crash wait for the backoff; a plain scale-up waits for the deployment delay.
    const startAt = d.runningCount < d.desiredCount ? (d.restartAtMs ?? d.settlesAtMs) : Infinity;
    if (Math.min(crashAt, startAt) > nowMs) return;
    if (crashAt <= startAt) {
      const crashed = live.filter((t) => (t.startedAtMs ?? t.createdAtMs) + runMs <= crashAt);
      for (const t of crashed) {
        t.stoppedAtMs = crashAt;
        t.stop = crashStop();
      }
      d.runningCount -= crashed.length;
      d.failedTasks += crashed.length;
      d.crashes = (d.crashes ?? 0) + 1;
      d.restartAtMs = crashAt + restartDelayMs(d);
      d.updatedAtMs = crashAt;
      addEvent(service, ids, crashAt, `(service ${service.name}) task ${crashed[0]!.id} stopped: ${CRASH_REASON}.`);
      if (d.crashes >= 2) {
        addEvent(service, ids, crashAt, `(service ${service.name}) ${UNSTABLE_TASKS_EVENT}`);
      }
    } else {
      const started = startTasks(service, d, d.desiredCount - d.runningCount, startAt, () => ids.next('task'));
      d.runningCount = d.desiredCount;
      d.restartAtMs = undefined;
      d.updatedAtMs = startAt;
      addEvent(service, ids, startAt, startedTasksMessage(service, started));
    }
  }
}
