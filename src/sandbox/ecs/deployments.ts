/**
 * ECS service deployments as records: what one is, how it is created, how it is shown on the
 * wire. How deployments progress over time is in settle.ts.
 */
import { epochSeconds } from './arns';
import type { ImageBehaviour } from './scenario';
import type { TaskRecord } from './tasks';

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
  /** The task definition's containers, copied onto each task. */
  containers: { name: string; image: string }[];
  /**
   * The circuit breaker was on when the deployment started: tasks that fail on start fail the
   * rollout. Off, ECS keeps replacing them and the rollout stays IN_PROGRESS.
   */
  circuitBreaker: boolean;
  /** Circuit breaker with rollback was on when the deployment started: a failure rolls back. */
  rollbackOnFailure: boolean;
  /** crash-after, and crash / fail-to-start without a circuit breaker: when the next replacement tasks start. */
  restartAtMs?: number;
  /** crash-after, and crash / fail-to-start without a circuit breaker: how many rounds of tasks have failed, which sets the restart backoff. */
  crashes?: number;
  /** never-stable only: when ECS last reported it could not place the missing task. */
  unplacedSinceMs?: number;
  /** When running catches up with desired: the end of the rollout, or of a later scale-up. */
  settlesAtMs: number;
  /**
   * The green revision of a service deployment under ECS's own strategy (BLUE_GREEN, LINEAR,
   * CANARY): native-deployment.ts moves it through its stages, and a circuit-breaker failure is
   * its to roll back (settle.ts only plays the failing tasks, as for a rolling deployment).
   */
  native?: boolean;
  /** When ECS starts launching this deployment's tasks: its creation for a rolling one, SCALE_UP for a native one (undefined before). */
  scaleUpFromMs?: number;
}

export interface ServiceEvent {
  id: string;
  createdAtMs: number;
  message: string;
}

/** The parts of a service that settling reads and changes. */
export interface SettlingService {
  cluster: string;
  name: string;
  deployments: DeploymentRecord[];
  events: ServiceEvent[];
  /** Every task of the service, running or stopped (the stopped ones for an hour). */
  tasks: TaskRecord[];
}

/** Counters instead of random ids, so two runs of the same test produce the same state. */
export interface IdSource {
  next(kind: 'deployment' | 'event' | 'task'): string;
}

export const CIRCUIT_BREAKER_REASON = 'ECS deployment circuit breaker: tasks failed to start.';

/** ECS's circuit-breaker threshold: half the desired count, at least 3, at most 200. */
export function circuitBreakerThreshold(desiredCount: number): number {
  return Math.min(200, Math.max(3, Math.ceil(desiredCount * 0.5)));
}

export function newDeployment(
  ids: IdSource,
  init: {
    taskDefinitionArn: string;
    containers: { name: string; image: string }[];
    desiredCount: number;
    behaviour: ImageBehaviour;
    delayMs: number;
    nowMs: number;
    /** Defaults to rollbackOnFailure: a rollback needs the breaker. */
    circuitBreaker?: boolean;
    rollbackOnFailure: boolean;
  },
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
    containers: init.containers,
    circuitBreaker: init.circuitBreaker ?? init.rollbackOnFailure,
    rollbackOnFailure: init.rollbackOnFailure,
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

export function addEvent(service: SettlingService, ids: IdSource, atMs: number, message: string): void {
  service.events.push({ id: ids.next('event'), createdAtMs: atMs, message });
}

/** ECS names at most ten of the tasks it started. */
export function startedTasksMessage(service: SettlingService, tasks: { id: string }[]): string {
  const named = tasks.slice(0, 10).map((t) => `(task ${t.id})`).join(' ');
  return `(service ${service.name}) has started ${tasks.length} tasks: ${named}.`;
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
