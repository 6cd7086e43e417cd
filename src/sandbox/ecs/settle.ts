/**
 * How an ECS service's deployments and tasks progress over time. Nothing runs on a timer:
 * every read first "settles" the service up to now from timestamps, so the emulator is
 * deterministic, costs nothing while idle, and a test's clock is the only clock. Events and
 * tasks carry the time things happened, not the time of the read.
 */
import { restartDelayMs, settleCrashLoop, UNSTABLE_TASKS_EVENT } from './crash-loop';
import {
  addEvent,
  CIRCUIT_BREAKER_REASON,
  circuitBreakerThreshold,
  type DeploymentRecord,
  type IdSource,
  newDeployment,
  primaryOf,
  type SettlingService,
  startedTasksMessage,
} from './deployments';
import { crashAfterMs, failsOnStart } from './scenario';
import { crashedTask, crashStop, failedToStartStop, liveTasks, scaledInStop, startTasks, stopTasks, type TaskStop } from './tasks';

/** Fargate's message when it cannot place a task; it does not count as a failed task, so the circuit breaker never trips. */
const NO_CAPACITY = 'was unable to place a task. Reason: Capacity is unavailable at this time. Please try again later or in a different availability zone.';

export function settleService(service: SettlingService, nowMs: number, ids: IdSource): void {
  const primary = primaryOf(service);
  if (!primary) return;

  if (primary.rolloutState === 'IN_PROGRESS') {
    if (failsOnStart(primary.behaviour) && primary.desiredCount > 0) {
      // Under ECS's own strategies no task starts before SCALE_UP.
      if (primary.native && primary.scaleUpFromMs === undefined) return;
      const failedNow = settleCrashing(service, primary, nowMs, ids);
      // The rollback deployment is PRIMARY now and settles like any other. Under ECS's own
      // strategies the service deployment rolls back instead (native-deployment.ts).
      if (failedNow && primary.rollbackOnFailure && !primary.native && rollBack(service, primary, ids)) settleService(service, nowMs, ids);
      return;
    }
    if (primary.behaviour === 'never-stable' && primary.desiredCount > 0) return settleNeverStable(service, primary, nowMs, ids);
    if (nowMs < primary.settlesAtMs) return;
    completeRollout(service, primary, ids);
  }
  if (primary.rolloutState !== 'COMPLETED') return;

  if (crashAfterMs(primary.behaviour) !== undefined) {
    settleCrashLoop(service, primary, nowMs, ids);
  } else if (primary.runningCount < primary.desiredCount && nowMs >= primary.settlesAtMs) {
    // A scale-up of a healthy deployment: the extra tasks run once the delay has passed.
    const at = primary.settlesAtMs;
    const started = startTasks(service, primary, primary.desiredCount - primary.runningCount, at, () => ids.next('task'));
    primary.runningCount = primary.desiredCount;
    primary.updatedAtMs = at;
    addEvent(service, ids, at, startedTasksMessage(service, started));
    addEvent(service, ids, at, `(service ${service.name}) has reached a steady state.`);
  }
}

/** The new tasks are up: earlier deployments are drained and disappear from the listing. */
function completeRollout(service: SettlingService, primary: DeploymentRecord, ids: IdSource): void {
  const at = primary.settlesAtMs;
  const missing = primary.desiredCount - primary.runningCount;
  const started = startTasks(service, primary, missing, at, () => ids.next('task'));
  // A deployment scaled down while rolling (never-stable to 0) has more tasks than it wants.
  if (missing < 0) stopTasks(service, primary.id, at, scaledInStop(primary.id), -missing);
  primary.runningCount = primary.desiredCount;
  primary.rolloutState = 'COMPLETED';
  primary.rolloutStateReason = `ECS deployment ${primary.id} completed.`;
  primary.updatedAtMs = at;
  for (const d of service.deployments) {
    if (d !== primary && d.status !== 'INACTIVE') {
      stopTasks(service, d.id, at, scaledInStop(primary.id));
      d.status = 'INACTIVE';
      d.runningCount = 0;
      d.updatedAtMs = at;
    }
  }
  if (started.length > 0) addEvent(service, ids, at, startedTasksMessage(service, started));
  addEvent(service, ids, at, `(service ${service.name}) has reached a steady state.`);
}

/** How a task of a deployment whose tasks fail on start stops: crashed, or never started (image not pulled). */
function startFailure(d: DeploymentRecord): TaskStop {
  return d.behaviour === 'fail-to-start' ? failedToStartStop(d.containers[0]?.image ?? '') : crashStop();
}

/**
 * Tasks fail as they start; failedTasks grows towards the circuit-breaker threshold. With the
 * breaker on, the rollout then fails; with it off, ECS keeps replacing the tasks (with a growing
 * delay) and the rollout stays IN_PROGRESS for ever. Each failure is a stopped task, stamped
 * when it happened. True when the rollout failed now.
 */
function settleCrashing(service: SettlingService, primary: DeploymentRecord, nowMs: number, ids: IdSource): boolean {
  const threshold = circuitBreakerThreshold(primary.desiredCount);
  const from = primary.scaleUpFromMs ?? primary.createdAtMs;
  const elapsed = nowMs - from;
  const progress = primary.delayMs <= 0 ? 1 : Math.min(1, elapsed / primary.delayMs);
  const failed = nowMs >= primary.settlesAtMs ? threshold : Math.floor(threshold * progress);
  let last;
  // The k-th task fails at the first moment floor(threshold × progress) reaches k.
  for (let k = primary.failedTasks + 1; k <= failed; k++) {
    const at = Math.min(primary.settlesAtMs, from + Math.ceil((k * primary.delayMs) / threshold));
    last = crashedTask(service, primary, at, () => ids.next('task'), startFailure(primary));
  }
  primary.failedTasks = Math.max(primary.failedTasks, failed);
  if (nowMs < primary.settlesAtMs) return false;
  if (!primary.circuitBreaker) {
    keepReplacing(service, primary, nowMs, ids);
    return false;
  }
  const at = primary.settlesAtMs;
  const reason = startFailure(primary).reason;
  primary.rolloutState = 'FAILED';
  primary.rolloutStateReason = CIRCUIT_BREAKER_REASON;
  primary.updatedAtMs = at;
  // The last task to fail; a rescale to fewer tasks can have lowered the threshold below what already failed.
  const lastId = (last ?? service.tasks.filter((t) => t.deploymentId === primary.id).at(-1))?.id;
  if (lastId) addEvent(service, ids, at, `(service ${service.name}) task ${lastId} stopped: ${reason}.`);
  addEvent(service, ids, at, `(service ${service.name}) (deployment ${primary.id}) deployment failed: tasks failed to start. ${reason}.`);
  return true;
}

/**
 * No circuit breaker: after the first round has failed, ECS starts one replacement after
 * another, each failing at once, with the delay between them doubling up to a cap. Plays those
 * up to `nowMs`; failedTasks keeps growing and nothing ever fails the rollout.
 */
function keepReplacing(service: SettlingService, primary: DeploymentRecord, nowMs: number, ids: IdSource): void {
  if (primary.restartAtMs === undefined) {
    const at = primary.settlesAtMs;
    primary.crashes = 1;
    primary.restartAtMs = at + restartDelayMs(primary);
    primary.updatedAtMs = at;
    addEvent(service, ids, at, `(service ${service.name}) ${UNSTABLE_TASKS_EVENT}`);
  }
  for (let at = primary.restartAtMs; at <= nowMs; at = primary.restartAtMs) {
    const task = crashedTask(service, primary, at, () => ids.next('task'), startFailure(primary));
    primary.failedTasks += 1;
    primary.crashes = (primary.crashes ?? 1) + 1;
    primary.restartAtMs = at + restartDelayMs(primary);
    primary.updatedAtMs = at;
    addEvent(service, ids, at, `(service ${service.name}) task ${task.id} stopped: ${task.stop!.reason}.`);
  }
}

/**
 * The circuit breaker's rollback: a new PRIMARY deployment of the last completed task
 * definition, which adopts that deployment's running tasks (nothing restarts); the failed
 * deployment is ACTIVE until the rollback completes. False when there is nothing to go back to.
 */
function rollBack(service: SettlingService, failed: DeploymentRecord, ids: IdSource): boolean {
  const target = service.deployments.find((d) => d !== failed && d.status === 'ACTIVE' && d.rolloutState === 'COMPLETED');
  if (!target) return false;
  const at = failed.updatedAtMs;
  addEvent(service, ids, at, `(service ${service.name}) rolling back to deployment ${target.id}.`);
  const rollback = newDeployment(ids, {
    taskDefinitionArn: target.taskDefinitionArn,
    containers: target.containers,
    desiredCount: failed.desiredCount,
    behaviour: target.behaviour,
    delayMs: failed.delayMs,
    nowMs: at,
    // ECS does not roll back a rollback.
    circuitBreaker: failed.circuitBreaker,
    rollbackOnFailure: false,
  });
  for (const task of liveTasks(service, target.id)) task.deploymentId = rollback.id;
  rollback.runningCount = target.runningCount;
  rollback.settlesAtMs = rollback.runningCount >= rollback.desiredCount ? at : at + failed.delayMs;
  target.status = 'INACTIVE';
  target.runningCount = 0;
  target.updatedAtMs = at;
  failed.status = 'ACTIVE';
  service.deployments.unshift(rollback);
  return true;
}

/** All but one task run; the last can never be placed, so the rollout neither completes nor fails. */
function settleNeverStable(service: SettlingService, primary: DeploymentRecord, nowMs: number, ids: IdSource): void {
  if (nowMs < primary.settlesAtMs) return;
  const target = primary.desiredCount - 1;
  if (primary.runningCount === target && primary.unplacedSinceMs !== undefined) return;
  // After a rescale while rolling, the change happens at the rescale, not at the read.
  const at = Math.max(primary.settlesAtMs, primary.updatedAtMs);
  if (primary.runningCount < target) {
    const started = startTasks(service, primary, target - primary.runningCount, at, () => ids.next('task'));
    addEvent(service, ids, at, startedTasksMessage(service, started));
  } else if (primary.runningCount > target) {
    stopTasks(service, primary.id, at, scaledInStop(primary.id), primary.runningCount - target);
  }
  primary.runningCount = target;
  primary.updatedAtMs = at;
  primary.unplacedSinceMs = at;
  addEvent(service, ids, at, `(service ${service.name}) ${NO_CAPACITY}`);
}

/**
 * Changes the PRIMARY deployment's desired count without a new deployment: fewer tasks stop at
 * once, more tasks start after the delay; a crashing deployment still runs nothing.
 */
export function scalePrimary(service: SettlingService, primary: DeploymentRecord, desiredCount: number, nowMs: number, delayMs: number, ids: IdSource): void {
  primary.desiredCount = desiredCount;
  primary.updatedAtMs = nowMs;
  if (primary.rolloutState === 'IN_PROGRESS') {
    if (desiredCount === 0) primary.settlesAtMs = Math.min(primary.settlesAtMs, nowMs);
    return;
  }
  if (primary.rolloutState !== 'COMPLETED') return;
  if (desiredCount < primary.runningCount) {
    const stopped = primary.runningCount - desiredCount;
    stopTasks(service, primary.id, nowMs, scaledInStop(primary.id), stopped);
    primary.runningCount = desiredCount;
    primary.settlesAtMs = nowMs;
    addEvent(service, ids, nowMs, `(service ${service.name}) has stopped ${stopped} running tasks.`);
    addEvent(service, ids, nowMs, `(service ${service.name}) has reached a steady state.`);
  } else if (desiredCount > primary.runningCount) {
    primary.settlesAtMs = nowMs + delayMs;
  }
}
