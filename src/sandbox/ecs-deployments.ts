/**
 * How an ECS service's deployments progress over time. Nothing runs on a timer: every read
 * first "settles" the service up to now from timestamps, so the emulator is deterministic,
 * costs nothing while idle, and a test's clock is the only clock.
 */
import { epochSeconds } from './ecs-arns';
import { type ImageBehaviour } from './scenario';

export type DeploymentStatus = 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
export type RolloutState = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

export interface DeploymentRecord {
  id: string;
  status: DeploymentStatus;
  taskDefinitionArn: string;
  desiredCount: number;
  runningCount: number;
  failedTasks: number;
  rolloutState: RolloutState;
  rolloutStateReason: string;
  createdAtMs: number;
  updatedAtMs: number;
  /** Fixed when the deployment starts, so a later scenario change never rewrites an outcome. */
  behaviour: ImageBehaviour;
  delayMs: number;
  /** When running catches up with desired: the end of the rollout, or of a later scale-up. */
  settlesAtMs: number;
}

export interface ServiceEvent {
  id: string;
  createdAtMs: number;
  message: string;
}

/** The parts of a service that settling reads and changes. */
export interface SettlingService {
  name: string;
  deployments: DeploymentRecord[];
  events: ServiceEvent[];
}

/** Counters instead of random ids, so two runs of the same test produce the same state. */
export interface IdSource {
  next(kind: 'deployment' | 'event' | 'task'): string;
}

export const CRASH_REASON = 'Essential container in task exited';
export const CIRCUIT_BREAKER_REASON = 'ECS deployment circuit breaker: tasks failed to start.';

/** ECS's circuit-breaker threshold: half the desired count, at least 3, at most 200. */
export function circuitBreakerThreshold(desiredCount: number): number {
  return Math.min(200, Math.max(3, Math.ceil(desiredCount * 0.5)));
}

export function newDeployment(
  ids: IdSource,
  init: { taskDefinitionArn: string; desiredCount: number; behaviour: ImageBehaviour; delayMs: number; nowMs: number },
): DeploymentRecord {
  const id = ids.next('deployment');
  return {
    id,
    status: 'PRIMARY',
    taskDefinitionArn: init.taskDefinitionArn,
    desiredCount: init.desiredCount,
    runningCount: 0,
    failedTasks: 0,
    rolloutState: 'IN_PROGRESS',
    rolloutStateReason: `ECS deployment ${id} in progress.`,
    createdAtMs: init.nowMs,
    updatedAtMs: init.nowMs,
    behaviour: init.behaviour,
    delayMs: init.delayMs,
    // Nothing to start means nothing to wait for: a deployment to 0 tasks completes at once.
    settlesAtMs: init.desiredCount === 0 ? init.nowMs : init.nowMs + init.delayMs,
  };
}

export function primaryOf(service: { deployments: DeploymentRecord[] }): DeploymentRecord | undefined {
  return service.deployments.find((d) => d.status === 'PRIMARY');
}

/** PRIMARY and ACTIVE deployments, newest first: what DescribeServices lists. */
export function listedDeployments(service: { deployments: DeploymentRecord[] }): DeploymentRecord[] {
  return service.deployments.filter((d) => d.status !== 'INACTIVE');
}

function addEvent(service: SettlingService, ids: IdSource, atMs: number, message: string): void {
  service.events.push({ id: ids.next('event'), createdAtMs: atMs, message });
}

function startedTasksMessage(service: SettlingService, ids: IdSource, count: number): string {
  const tasks = Array.from({ length: Math.min(count, 10) }, () => `(task ${ids.next('task')})`).join(' ');
  return `(service ${service.name}) has started ${count} tasks: ${tasks}.`;
}

/** Brings the PRIMARY deployment up to `nowMs`; events carry the time things happened, not the time of the read. */
export function settleService(service: SettlingService, nowMs: number, ids: IdSource): void {
  const primary = primaryOf(service);
  if (!primary) return;

  if (primary.rolloutState === 'IN_PROGRESS') {
    if (primary.behaviour === 'crash' && primary.desiredCount > 0) {
      settleCrashing(service, primary, nowMs, ids);
    } else if (nowMs >= primary.settlesAtMs) {
      const at = primary.settlesAtMs;
      primary.runningCount = primary.desiredCount;
      primary.rolloutState = 'COMPLETED';
      primary.rolloutStateReason = `ECS deployment ${primary.id} completed.`;
      primary.updatedAtMs = at;
      // The old tasks are drained once the new ones are healthy: earlier deployments disappear.
      for (const d of service.deployments) {
        if (d !== primary && d.status !== 'INACTIVE') {
          d.status = 'INACTIVE';
          d.runningCount = 0;
          d.updatedAtMs = at;
        }
      }
      if (primary.desiredCount > 0) addEvent(service, ids, at, startedTasksMessage(service, ids, primary.desiredCount));
      addEvent(service, ids, at, `(service ${service.name}) has reached a steady state.`);
    }
    return;
  }

  // A scale-up of a healthy deployment: the extra tasks run once the delay has passed.
  if (primary.rolloutState === 'COMPLETED' && primary.runningCount < primary.desiredCount && nowMs >= primary.settlesAtMs) {
    const at = primary.settlesAtMs;
    const started = primary.desiredCount - primary.runningCount;
    primary.runningCount = primary.desiredCount;
    primary.updatedAtMs = at;
    addEvent(service, ids, at, startedTasksMessage(service, ids, started));
    addEvent(service, ids, at, `(service ${service.name}) has reached a steady state.`);
  }
}

/** Tasks fail as they start; failedTasks grows towards the circuit-breaker threshold, then the rollout fails. */
function settleCrashing(service: SettlingService, primary: DeploymentRecord, nowMs: number, ids: IdSource): void {
  const threshold = circuitBreakerThreshold(primary.desiredCount);
  const elapsed = nowMs - primary.createdAtMs;
  const progress = primary.delayMs <= 0 ? 1 : Math.min(1, elapsed / primary.delayMs);
  primary.failedTasks = Math.max(primary.failedTasks, Math.floor(threshold * progress));
  if (nowMs < primary.settlesAtMs) return;
  const at = primary.settlesAtMs;
  primary.failedTasks = Math.max(primary.failedTasks, threshold);
  primary.rolloutState = 'FAILED';
  primary.rolloutStateReason = CIRCUIT_BREAKER_REASON;
  primary.updatedAtMs = at;
  addEvent(service, ids, at, `(service ${service.name}) task ${ids.next('task')} stopped: ${CRASH_REASON}.`);
  addEvent(service, ids, at, `(service ${service.name}) (deployment ${primary.id}) deployment failed: tasks failed to start. ${CRASH_REASON}.`);
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
    primary.runningCount = desiredCount;
    primary.settlesAtMs = nowMs;
    addEvent(service, ids, nowMs, `(service ${service.name}) has stopped ${stopped} running tasks.`);
    addEvent(service, ids, nowMs, `(service ${service.name}) has reached a steady state.`);
  } else if (desiredCount > primary.runningCount) {
    primary.settlesAtMs = nowMs + delayMs;
  }
}

/** Tasks ECS is still trying to start: the gap to desired while rolling or scaling, all of them while crashing. */
export function pendingCount(d: DeploymentRecord): number {
  if (d.status === 'INACTIVE' || d.rolloutState === 'FAILED') return 0;
  return Math.max(0, d.desiredCount - d.runningCount);
}

export function deploymentToWire(d: DeploymentRecord): Record<string, unknown> {
  return {
    id: d.id,
    status: d.status,
    taskDefinition: d.taskDefinitionArn,
    desiredCount: d.desiredCount,
    pendingCount: pendingCount(d),
    runningCount: d.runningCount,
    failedTasks: d.failedTasks,
    createdAt: epochSeconds(d.createdAtMs),
    updatedAt: epochSeconds(d.updatedAtMs),
    launchType: 'FARGATE',
    platformVersion: '1.4.0',
    rolloutState: d.rolloutState,
    rolloutStateReason: d.rolloutStateReason,
  };
}
