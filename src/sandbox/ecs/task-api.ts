/**
 * ListTasks, DescribeTasks and RunTask. Service tasks come from the (settled) services; RunTask
 * tasks (migrations) live here, per cluster, with their clientTokens so that a retried RunTask
 * returns the task it already started instead of starting another, as ECS does for 24 hours.
 */
import { z } from 'zod';
import { taskArn, taskIdOf } from './arns';
import { type IdSource } from './deployments';
import { EcsError, EcsErrorType, parseInput } from './api-errors';
import type { TaskDefinitionRegistry } from './task-definitions';
import { desiredStatus, failedToStartStop, pruneStoppedTasks, type TaskRecord, type TaskStop, taskToWire } from './tasks';
import type { ScenarioStore } from '../scenario';

/** How long ECS remembers a RunTask clientToken. */
const CLIENT_TOKEN_TTL_MS = 24 * 3_600_000;
/** A RunTask task is PENDING this long (or its whole life, if shorter) before it runs. */
const PENDING_MS = 100;

const listTasksSchema = z.looseObject({
  cluster: z.string().optional(),
  serviceName: z.string().min(1).optional(),
  family: z.string().min(1).optional(),
  startedBy: z.string().min(1).optional(),
  desiredStatus: z.enum(['RUNNING', 'PENDING', 'STOPPED']).optional(),
  maxResults: z.number().int().min(1).max(100).optional(),
  nextToken: z.string().optional(),
});

const describeTasksSchema = z.looseObject({
  cluster: z.string().optional(),
  tasks: z.array(z.string().min(1)).min(1).max(100),
  include: z.array(z.string()).optional(),
});

const runTaskSchema = z.looseObject({
  cluster: z.string().optional(),
  taskDefinition: z.string().min(1),
  count: z.number().int().min(1).max(10).optional(),
  startedBy: z.string().min(1).max(128).optional(),
  clientToken: z.string().min(1).max(64, 'clientToken must be at most 64 characters.').optional(),
  overrides: z
    .looseObject({
      containerOverrides: z.array(z.looseObject({ name: z.string().min(1), command: z.array(z.string()).optional() })).optional(),
    })
    .optional(),
  networkConfiguration: z
    .looseObject({
      awsvpcConfiguration: z
        .looseObject({
          subnets: z.array(z.string()).min(1, 'subnets can not be empty.'),
          securityGroups: z.array(z.string()).optional(),
          assignPublicIp: z.enum(['ENABLED', 'DISABLED']).optional(),
        })
        .optional(),
    })
    .optional(),
  launchType: z.enum(['EC2', 'FARGATE', 'EXTERNAL', 'MANAGED_INSTANCES']).optional(),
  capacityProviderStrategy: z.array(z.looseObject({ capacityProvider: z.string().min(1) })).optional(),
  platformVersion: z.string().min(1).optional(),
});

/** ECS's own wording, which callers (and their operators) will see when they forget the network. */
export const AWSVPC_NEEDS_NETWORK = "Network Configuration must be provided when networkMode 'awsvpc' is specified.";

export interface TaskApiDeps {
  now(): number;
  ids: IdSource;
  scenario: ScenarioStore;
  taskDefinitions: TaskDefinitionRegistry;
  /** The cluster's name and its services (settled up to now); throws ClusterNotFoundException. */
  cluster(ref: string | undefined): { name: string; services: Map<string, { tasks: TaskRecord[] }> };
}

export class EcsTaskApi {
  /** RunTask tasks per cluster name. */
  private readonly standalone = new Map<string, TaskRecord[]>();
  private readonly tokens = new Map<string, { cluster: string; taskIds: string[]; atMs: number }>();

  constructor(private readonly deps: TaskApiDeps) {}

  listTasks(input: unknown): Record<string, unknown> {
    const q = parseInput(listTasksSchema, input);
    const cluster = this.deps.cluster(q.cluster);
    const now = this.deps.now();
    let tasks: TaskRecord[];
    if (q.serviceName !== undefined) {
      const service = cluster.services.get(q.serviceName.split('/').at(-1)!);
      if (!service) throw new EcsError(EcsErrorType.serviceNotFound, 'Service not found.');
      tasks = service.tasks;
    } else {
      tasks = this.allTasks(cluster);
    }
    // ECS never sets a task's desired status to PENDING, so that filter finds nothing.
    const wanted = q.desiredStatus ?? 'RUNNING';
    const matching = tasks.filter(
      (t) =>
        desiredStatus(t, now) === wanted &&
        (q.family === undefined || familyOf(t.taskDefinitionArn) === q.family) &&
        (q.startedBy === undefined || t.startedBy === q.startedBy),
    );
    const start = q.nextToken === undefined ? 0 : Number(q.nextToken);
    if (!Number.isInteger(start) || start < 0) throw new EcsError(EcsErrorType.invalidParameter, 'Invalid nextToken.');
    const size = q.maxResults ?? 100;
    const next = start + size < matching.length ? String(start + size) : undefined;
    return { taskArns: matching.slice(start, start + size).map((t) => t.arn), ...(next ? { nextToken: next } : {}) };
  }

  /** Unknown tasks come back in `failures[]` with reason MISSING, not as an exception. */
  describeTasks(input: unknown): Record<string, unknown> {
    const q = parseInput(describeTasksSchema, input);
    const cluster = this.deps.cluster(q.cluster);
    const now = this.deps.now();
    const byId = new Map(this.allTasks(cluster).map((t) => [t.id, t]));
    const tasks: Record<string, unknown>[] = [];
    const failures: Record<string, unknown>[] = [];
    for (const ref of q.tasks) {
      const task = byId.get(taskIdOf(ref));
      if (task) tasks.push(taskToWire(task, now));
      else failures.push({ arn: ref.startsWith('arn:') ? ref : taskArn(cluster.name, ref), reason: 'MISSING' });
    }
    return { tasks, failures };
  }

  /**
   * Starts `count` one-off tasks that run, then stop with the scenario's exit code. The same
   * clientToken within 24 hours answers the tasks it started the first time and starts nothing.
   */
  runTask(input: unknown): Record<string, unknown> {
    const q = parseInput(runTaskSchema, input);
    const cluster = this.deps.cluster(q.cluster);
    const now = this.deps.now();
    this.forgetExpiredTokens(now);
    const remembered = q.clientToken === undefined ? undefined : this.tokens.get(q.clientToken);
    if (remembered) {
      // Tokens are per account and region, not per cluster: answer from where the tasks were started.
      const earlier = this.standaloneOf(remembered.cluster);
      const tasks = remembered.taskIds.map((id) => earlier.find((t) => t.id === id)).filter((t) => t !== undefined);
      return { tasks: tasks.map((t) => taskToWire(t, now)), failures: [] };
    }

    const td = this.deps.taskDefinitions.find(q.taskDefinition);
    if (!td || td.status !== 'ACTIVE') {
      // HTTP 200 all the same: RunTask reports what it could not start in failures[].
      return { tasks: [], failures: [{ arn: q.taskDefinition, reason: td ? 'INACTIVE' : 'MISSING', detail: 'Unable to find task definition.' }] };
    }
    if (td.definition.networkMode === 'awsvpc' && !q.networkConfiguration?.awsvpcConfiguration) {
      throw new EcsError(EcsErrorType.invalidParameter, AWSVPC_NEEDS_NETWORK);
    }
    if (q.launchType !== undefined && q.capacityProviderStrategy?.length) {
      throw new EcsError(EcsErrorType.invalidParameter, 'Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.');
    }
    const overrides = q.overrides?.containerOverrides ?? [];
    const unknown = overrides.find((o) => !td.containers.some((c) => c.name === o.name));
    if (unknown) throw new EcsError(EcsErrorType.invalidParameter, `Override for container named ${unknown.name} is not a container in the TaskDefinition.`);

    const outcome = this.deps.scenario.migrationOutcome(td.family, td.containers.map((c) => c.image));
    const created = Array.from({ length: q.count ?? 1 }, () => {
      const id = this.deps.ids.next('task');
      const task: TaskRecord = {
        id,
        arn: taskArn(cluster.name, id),
        cluster: cluster.name,
        taskDefinitionArn: td.arn,
        group: `family:${td.family}`,
        ...(q.startedBy !== undefined ? { startedBy: q.startedBy } : {}),
        containers: td.containers,
        createdAtMs: now,
        // A task that never runs has no start time and no exit code.
        ...(outcome.exitCode === null ? {} : { startedAtMs: now + Math.min(PENDING_MS, outcome.durationMs) }),
        stoppedAtMs: now + outcome.durationMs,
        stop: stopFor(outcome.exitCode, td.containers[0]?.image ?? ''),
        overrides: { containerOverrides: overrides },
      };
      return task;
    });
    this.standaloneOf(cluster.name).push(...created);
    if (q.clientToken !== undefined) this.tokens.set(q.clientToken, { cluster: cluster.name, taskIds: created.map((t) => t.id), atMs: now });
    return { tasks: created.map((t) => taskToWire(t, now)), failures: [] };
  }

  /** For /_sandbox/state. */
  snapshot(cluster: string): Record<string, unknown>[] {
    const now = this.deps.now();
    return (this.standalone.get(cluster) ?? []).map((t) => taskToWire(t, now));
  }

  private allTasks(cluster: { name: string; services: Map<string, { tasks: TaskRecord[] }> }): TaskRecord[] {
    return [...[...cluster.services.values()].flatMap((s) => s.tasks), ...this.standaloneOf(cluster.name)];
  }

  private standaloneOf(cluster: string): TaskRecord[] {
    const tasks = this.standalone.get(cluster) ?? [];
    this.standalone.set(cluster, tasks);
    pruneStoppedTasks(tasks, this.deps.now());
    return tasks;
  }

  private forgetExpiredTokens(nowMs: number): void {
    for (const [token, entry] of this.tokens) if (nowMs - entry.atMs >= CLIENT_TOKEN_TTL_MS) this.tokens.delete(token);
  }
}

function familyOf(taskDefinitionArn: string): string {
  return (taskDefinitionArn.split('/').at(-1) ?? '').split(':')[0] ?? '';
}

/** Exit 0 and non-zero both stop as EssentialContainerExited in ECS; no exit code means the container never started. */
function stopFor(exitCode: number | null, image: string): TaskStop {
  if (exitCode === null) return failedToStartStop(image);
  return { code: 'EssentialContainerExited', reason: 'Essential container in task exited', exitCode };
}
