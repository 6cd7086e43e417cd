/**
 * ECS tasks: the records behind ListTasks / DescribeTasks. Service tasks are created and
 * stopped by settling (settle.ts) at the moment a transition happened; one-off RunTask
 * tasks carry their whole future in timestamps. Either way a task's status is read from its
 * timestamps at `now`, so nothing runs on a timer.
 */
import { clusterArn, epochSeconds, taskArn } from './arns';

export type TaskStopCode = 'TaskFailedToStart' | 'EssentialContainerExited' | 'ServiceSchedulerInitiated' | 'UserInitiated';

export interface TaskStop {
  code: TaskStopCode;
  reason: string;
  /** null: the container never ran, so there is no exit code (DescribeTasks omits the field). */
  exitCode: number | null;
  /** Per-container reason, e.g. CannotPullContainerError, shown on the container. */
  containerReason?: string;
}

export interface TaskRecord {
  id: string;
  arn: string;
  cluster: string;
  taskDefinitionArn: string;
  /** `service:<name>` for service tasks, `family:<family>` for RunTask tasks, as ECS sets it. */
  group: string;
  startedBy?: string;
  containers: { name: string; image: string }[];
  createdAtMs: number;
  /** Undefined for a task that never ran. */
  startedAtMs?: number;
  /** Once set and reached, the task is STOPPED with `stop`. */
  stoppedAtMs?: number;
  stop?: TaskStop;
  /** The service deployment a service task belongs to. */
  deploymentId?: string;
  overrides?: Record<string, unknown>;
}

export type TaskStatus = 'PENDING' | 'RUNNING' | 'STOPPED';

/** ECS shows stopped tasks for at least an hour; older ones are dropped so a crash loop cannot grow memory forever. */
export const STOPPED_TASK_RETENTION_MS = 3_600_000;

export const CRASH_REASON = 'Essential container in task exited';

export function taskStatus(task: TaskRecord, nowMs: number): TaskStatus {
  if (task.stoppedAtMs !== undefined && nowMs >= task.stoppedAtMs) return 'STOPPED';
  if (task.startedAtMs !== undefined && nowMs >= task.startedAtMs) return 'RUNNING';
  return 'PENDING';
}

/** The status ECS wants the task in: STOPPED as soon as it is stopping, else RUNNING. */
export function desiredStatus(task: TaskRecord, nowMs: number): 'RUNNING' | 'STOPPED' {
  return taskStatus(task, nowMs) === 'STOPPED' ? 'STOPPED' : 'RUNNING';
}

export function pruneStoppedTasks(tasks: TaskRecord[], nowMs: number): void {
  const keep = tasks.filter((t) => t.stoppedAtMs === undefined || nowMs - t.stoppedAtMs < STOPPED_TASK_RETENTION_MS);
  if (keep.length !== tasks.length) tasks.splice(0, tasks.length, ...keep);
}

/** The parts of a service that task bookkeeping needs. */
export interface TaskOwner {
  cluster: string;
  name: string;
  tasks: TaskRecord[];
}

/** The parts of a deployment that task bookkeeping needs. */
export interface TaskSource {
  id: string;
  taskDefinitionArn: string;
  containers: { name: string; image: string }[];
}

function newServiceTask(owner: TaskOwner, d: TaskSource, atMs: number, nextId: () => string): TaskRecord {
  const id = nextId();
  return {
    id,
    arn: taskArn(owner.cluster, id),
    cluster: owner.cluster,
    taskDefinitionArn: d.taskDefinitionArn,
    group: `service:${owner.name}`,
    startedBy: d.id,
    containers: d.containers,
    createdAtMs: atMs,
    startedAtMs: atMs,
    deploymentId: d.id,
  };
}

/** `count` tasks of the deployment start running at `atMs`. */
export function startTasks(owner: TaskOwner, d: TaskSource, count: number, atMs: number, nextId: () => string): TaskRecord[] {
  const started = Array.from({ length: Math.max(0, count) }, () => newServiceTask(owner, d, atMs, nextId));
  owner.tasks.push(...started);
  return started;
}

/** Tasks of the deployment that have not been stopped (running, or still to start). */
export function liveTasks(owner: TaskOwner, deploymentId: string): TaskRecord[] {
  return owner.tasks.filter((t) => t.deploymentId === deploymentId && t.stoppedAtMs === undefined);
}

/** Stops the newest `count` live tasks of the deployment (all when omitted), as a scale-in does. */
export function stopTasks(owner: TaskOwner, deploymentId: string, atMs: number, stop: TaskStop, count?: number): TaskRecord[] {
  const live = liveTasks(owner, deploymentId);
  const stopped = count === undefined ? live : live.slice(Math.max(0, live.length - count));
  for (const t of stopped) {
    t.stoppedAtMs = atMs;
    t.stop = stop;
  }
  return stopped;
}

/**
 * A task that stopped as soon as ECS tried to start it, with `stop`: an essential container
 * that exited (crashStop), or one that never ran (failedToStartStop, so no start time).
 */
export function crashedTask(owner: TaskOwner, d: TaskSource, atMs: number, nextId: () => string, stop: TaskStop = crashStop()): TaskRecord {
  const task: TaskRecord = { ...newServiceTask(owner, d, atMs, nextId), stoppedAtMs: atMs, stop };
  if (stop.code === 'TaskFailedToStart') delete task.startedAtMs;
  owner.tasks.push(task);
  return task;
}

export function crashStop(): TaskStop {
  return { code: 'EssentialContainerExited', reason: CRASH_REASON, exitCode: 1 };
}

/** A task whose image could not be pulled: it never ran, so it has no exit code; ECS quotes the pull error. */
export function failedToStartStop(image: string): TaskStop {
  const reason = `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ${image}: not found`;
  return { code: 'TaskFailedToStart', reason, exitCode: null, containerReason: reason };
}

export function scaledInStop(deploymentId: string): TaskStop {
  return { code: 'ServiceSchedulerInitiated', reason: `Scaling activity initiated by (deployment ${deploymentId})`, exitCode: 0 };
}

/** DescribeTasks' task shape (epoch seconds, fields absent rather than null, as ECS sends them). */
export function taskToWire(task: TaskRecord, nowMs: number): Record<string, unknown> {
  const status = taskStatus(task, nowMs);
  const stopped = status === 'STOPPED' && task.stop ? task.stop : undefined;
  const ran = task.startedAtMs !== undefined && nowMs >= task.startedAtMs;
  return {
    taskArn: task.arn,
    clusterArn: clusterArn(task.cluster),
    taskDefinitionArn: task.taskDefinitionArn,
    group: task.group,
    ...(task.startedBy !== undefined ? { startedBy: task.startedBy } : {}),
    lastStatus: status,
    desiredStatus: desiredStatus(task, nowMs),
    launchType: 'FARGATE',
    platformVersion: '1.4.0',
    availabilityZone: 'us-east-1a',
    connectivity: 'CONNECTED',
    healthStatus: 'UNKNOWN',
    version: status === 'STOPPED' ? 3 : status === 'RUNNING' ? 2 : 1,
    createdAt: epochSeconds(task.createdAtMs),
    ...(ran ? { startedAt: epochSeconds(task.startedAtMs!), connectivityAt: epochSeconds(task.startedAtMs!) } : {}),
    ...(stopped
      ? { stopCode: stopped.code, stoppedReason: stopped.reason, stoppingAt: epochSeconds(task.stoppedAtMs!), executionStoppedAt: epochSeconds(task.stoppedAtMs!), stoppedAt: epochSeconds(task.stoppedAtMs!) }
      : {}),
    containers: task.containers.map((c, i) => ({
      containerArn: `${task.arn.replace(':task/', ':container/')}/${i}`,
      taskArn: task.arn,
      name: c.name,
      image: c.image,
      lastStatus: status,
      healthStatus: 'UNKNOWN',
      ...(stopped && stopped.exitCode !== null ? { exitCode: stopped.exitCode } : {}),
      ...(stopped?.containerReason ? { reason: stopped.containerReason } : {}),
    })),
    overrides: task.overrides ?? { containerOverrides: task.containers.map((c) => ({ name: c.name })) },
    tags: [],
  };
}
