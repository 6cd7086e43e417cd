/**
 * Database migrations as a one-off ECS task (RunTask) before production. Run at most once per
 * release: the RunTask clientToken is derived from the release, so a retried activity gets the
 * task it already started back from ECS instead of a second one; and the task ARN goes into the
 * heartbeat details, so a retry after a worker crash resumes waiting without calling RunTask.
 * Never undone automatically: a migration cannot be reversed by redeploying.
 *
 * The task is placed like the production service's own tasks (its networkConfiguration, launch
 * type or capacity providers, platform version): ECS refuses to run an awsvpc (Fargate) task
 * definition without a networkConfiguration, and the service's subnets and security groups are
 * the ones that can reach its database.
 */
import { createHash } from 'node:crypto';
import { Context, heartbeat } from '@temporalio/activity';
import { DescribeServicesCommand, DescribeTasksCommand, type ECSClient, RunTaskCommand, type RunTaskCommandInput, type Task } from '@aws-sdk/client-ecs';
import { awsFailure, FailureType, nonRetryable } from './errors';

/** Failure type of a migration that ran and failed, or could not be started. Not retried: rerunning a half-applied migration is an operator's call. */
export const MIGRATION_FAILED = 'MigrationFailed';

export interface MigrationActivityOptions {
  /** How often the task is polled until it stops. @default 2000 */
  pollIntervalMs?: number;
  /**
   * How long after the task was created DescribeTasks may still answer MISSING: ECS is
   * eventually consistent, so a task RunTask just started can be unknown to DescribeTasks for a
   * moment. Past this, MISSING means ECS has forgotten the task. @default 30000
   */
  missingGraceMs?: number;
}

export interface RunMigrationInput {
  cluster: string;
  /**
   * The service (in `cluster`) whose placement the task copies: networkConfiguration, launch
   * type or capacity provider strategy, platform version. Without it the task is run with
   * ECS's defaults, which awsvpc task definitions are refused.
   */
  service?: string;
  /** Task definition (ARN or family:revision) whose image carries the migration. */
  taskDefinition: string;
  /** The container whose command is overridden. */
  container: string;
  command: string[];
  releaseId: string;
}

export interface MigrationResult {
  taskArn: string;
  exitCode: 0;
}

/** What the activity heartbeats; a retry reads it back. */
interface MigrationHeartbeat {
  taskArn: string;
  /** When ECS created the task (epoch ms), which the MISSING grace period counts from. */
  createdAtMs?: number;
  lastStatus?: string;
}

/** The RunTask fields that say where and how a task is placed. */
type Placement = Pick<RunTaskCommandInput, 'networkConfiguration' | 'launchType' | 'capacityProviderStrategy' | 'platformVersion'>;

/**
 * The RunTask clientToken for a migration: "runway-migration-" and the first 40 hex digits of
 * SHA-256 over release id, task definition, container and command (57 characters; ECS allows
 * 64). The same release running the same migration gets the same token, so ECS answers a
 * repeated RunTask within 24 hours with the task it already started. A changed command makes a
 * new token rather than silently answering with the old task.
 */
export function migrationClientToken(input: Pick<RunMigrationInput, 'releaseId' | 'taskDefinition' | 'container' | 'command'>): string {
  const digest = createHash('sha256').update(JSON.stringify([input.releaseId, input.taskDefinition, input.container, input.command])).digest('hex');
  return `runway-migration-${digest.slice(0, 40)}`;
}

function exitCodeOf(task: Task, container: string): number | undefined {
  return task.containers?.find((c) => c.name === container)?.exitCode;
}

export function createMigrationActivities({ ecs, options = {} }: { ecs: ECSClient; options?: MigrationActivityOptions }) {
  const pollIntervalMs = options.pollIntervalMs ?? 2000;
  const missingGraceMs = options.missingGraceMs ?? 30_000;

  /** Where the service runs its tasks, for the migration task to run in the same place. */
  async function placementOf(cluster: string, name: string): Promise<Placement> {
    let out;
    try {
      out = await ecs.send(new DescribeServicesCommand({ cluster, services: [name] }));
    } catch (err) {
      throw awsFailure(err, `describing ECS service ${cluster}/${name} for the migration task's network configuration`, 'ecs:DescribeServices');
    }
    const service = out.services?.[0];
    if (!service) {
      throw nonRetryable(`ECS service ${cluster}/${name} not found (${out.failures?.[0]?.reason ?? 'MISSING'}); the migration task copies its network configuration`, FailureType.notFound);
    }
    // RunTask refuses a launch type together with a capacity provider strategy; the strategy wins, as on the service.
    const strategy = service.capacityProviderStrategy?.length ? service.capacityProviderStrategy : undefined;
    return {
      ...(service.networkConfiguration ? { networkConfiguration: service.networkConfiguration } : {}),
      ...(strategy ? { capacityProviderStrategy: strategy } : service.launchType ? { launchType: service.launchType } : {}),
      ...(service.platformVersion ? { platformVersion: service.platformVersion } : {}),
    };
  }

  async function startTask(input: RunMigrationInput): Promise<MigrationHeartbeat> {
    const placement = input.service === undefined ? {} : await placementOf(input.cluster, input.service);
    let out;
    try {
      out = await ecs.send(
        new RunTaskCommand({
          cluster: input.cluster,
          taskDefinition: input.taskDefinition,
          count: 1,
          startedBy: 'runway-migration',
          clientToken: migrationClientToken(input),
          overrides: { containerOverrides: [{ name: input.container, command: input.command }] },
          ...placement,
        }),
      );
    } catch (err) {
      throw awsFailure(err, `starting the migration task ${input.taskDefinition} in ${input.cluster}`, 'ecs:RunTask (and iam:PassRole for the task\'s roles)');
    }
    const task = out.tasks?.[0];
    if (!task?.taskArn) {
      // RunTask answers HTTP 200 with failures[] when it could not start the task.
      const reasons = (out.failures ?? []).map((f) => [f.reason, f.detail].filter(Boolean).join(': ')).join('; ') || 'no task and no reason given';
      throw nonRetryable(`ECS could not start the migration task ${input.taskDefinition} in ${input.cluster}: ${reasons}`, MIGRATION_FAILED, { failures: out.failures });
    }
    // A retried RunTask answered from the clientToken gives the task's real creation time.
    return { taskArn: task.taskArn, createdAtMs: task.createdAt?.getTime() ?? Date.now() };
  }

  /**
   * The task, or undefined while DescribeTasks answers MISSING within the grace period counted
   * from `since` (the task's creation).
   */
  async function readTask(input: RunMigrationInput, taskArn: string, since: number): Promise<Task | undefined> {
    let out;
    try {
      out = await ecs.send(new DescribeTasksCommand({ cluster: input.cluster, tasks: [taskArn] }));
    } catch (err) {
      throw awsFailure(err, `describing the migration task ${taskArn}`, 'ecs:DescribeTasks');
    }
    const task = out.tasks?.[0];
    if (task) return task;
    // Just after RunTask, ECS may not know the task yet; long after, it has forgotten it (stopped
    // tasks are kept about an hour) and the outcome can no longer be read.
    if (Date.now() - since < missingGraceMs) return undefined;
    throw nonRetryable(
      `migration task ${taskArn} is not known to ECS (${out.failures?.[0]?.reason ?? 'MISSING'}) ${Math.round((Date.now() - since) / 1000)} s after it was started; its outcome is unknown`,
      MIGRATION_FAILED,
    );
  }

  return {
    /**
     * Runs `command` in `container` as a one-off task and waits until it stops. Succeeds only on
     * exit code 0; a non-zero or missing exit code (the container never ran) fails without retry.
     */
    async runMigration(input: RunMigrationInput): Promise<MigrationResult> {
      const ctx = Context.current();
      const resumed = ctx.info.heartbeatDetails as Partial<MigrationHeartbeat> | undefined;
      const started: MigrationHeartbeat = resumed?.taskArn ? { taskArn: resumed.taskArn, createdAtMs: resumed.createdAtMs } : await startTask(input);
      const { taskArn } = started;
      // A heartbeat from before creation times were recorded gives none: count from this attempt.
      const graceFrom = started.createdAtMs ?? Date.now();
      heartbeat({ taskArn, createdAtMs: started.createdAtMs } satisfies MigrationHeartbeat);
      for (;;) {
        const task = await readTask(input, taskArn, graceFrom);
        if (task?.lastStatus === 'STOPPED') {
          const exitCode = exitCodeOf(task, input.container);
          if (exitCode === 0) return { taskArn, exitCode };
          const container = task.containers?.find((c) => c.name === input.container);
          const why = [task.stoppedReason, container?.reason].filter(Boolean).join('; ') || 'no reason given';
          throw nonRetryable(
            `migration task ${taskArn} ${exitCode === undefined ? 'stopped without an exit code' : `exited with code ${exitCode}`}: ${why}`,
            MIGRATION_FAILED,
            { taskArn, exitCode: exitCode ?? null, stopCode: task.stopCode, stoppedReason: task.stoppedReason },
          );
        }
        heartbeat({ taskArn, createdAtMs: started.createdAtMs, lastStatus: task?.lastStatus ?? 'MISSING' } satisfies MigrationHeartbeat);
        await ctx.sleep(pollIntervalMs);
      }
    },
  };
}

export type MigrationActivities = ReturnType<typeof createMigrationActivities>;
