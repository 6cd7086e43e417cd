/**
 * Database migrations as a one-off ECS task (RunTask) before production. Run at most once per
 * release: the RunTask clientToken is derived from the release, so a retried activity gets the
 * task it already started back from ECS instead of a second one; and the task ARN goes into the
 * heartbeat details, so a retry after a worker crash resumes waiting without calling RunTask.
 * Never undone automatically: a migration cannot be reversed by redeploying.
 */
import { createHash } from 'node:crypto';
import { Context, heartbeat } from '@temporalio/activity';
import { DescribeTasksCommand, type ECSClient, RunTaskCommand, type Task } from '@aws-sdk/client-ecs';
import { awsFailure, nonRetryable } from './errors';

/** Failure type of a migration that ran and failed, or could not be started. Not retried: rerunning a half-applied migration is an operator's call. */
export const MIGRATION_FAILED = 'MigrationFailed';

export interface MigrationActivityOptions {
  /** How often the task is polled until it stops. @default 2000 */
  pollIntervalMs?: number;
}

export interface RunMigrationInput {
  cluster: string;
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
  lastStatus?: string;
}

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

  async function startTask(input: RunMigrationInput): Promise<string> {
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
        }),
      );
    } catch (err) {
      throw awsFailure(err, `starting the migration task ${input.taskDefinition} in ${input.cluster}`, 'ecs:RunTask (and iam:PassRole for the task\'s roles)');
    }
    const taskArn = out.tasks?.[0]?.taskArn;
    if (!taskArn) {
      // RunTask answers HTTP 200 with failures[] when it could not start the task.
      const reasons = (out.failures ?? []).map((f) => [f.reason, f.detail].filter(Boolean).join(': ')).join('; ') || 'no task and no reason given';
      throw nonRetryable(`ECS could not start the migration task ${input.taskDefinition} in ${input.cluster}: ${reasons}`, MIGRATION_FAILED, { failures: out.failures });
    }
    return taskArn;
  }

  async function readTask(input: RunMigrationInput, taskArn: string): Promise<Task> {
    let out;
    try {
      out = await ecs.send(new DescribeTasksCommand({ cluster: input.cluster, tasks: [taskArn] }));
    } catch (err) {
      throw awsFailure(err, `describing the migration task ${taskArn}`, 'ecs:DescribeTasks');
    }
    const task = out.tasks?.[0];
    if (!task) {
      // ECS forgets stopped tasks after about an hour: the outcome can no longer be read.
      throw nonRetryable(`migration task ${taskArn} is no longer known to ECS (${out.failures?.[0]?.reason ?? 'MISSING'}); its outcome is unknown`, MIGRATION_FAILED);
    }
    return task;
  }

  return {
    /**
     * Runs `command` in `container` as a one-off task and waits until it stops. Succeeds only on
     * exit code 0; a non-zero or missing exit code (the container never ran) fails without retry.
     */
    async runMigration(input: RunMigrationInput): Promise<MigrationResult> {
      const ctx = Context.current();
      const resumed = (ctx.info.heartbeatDetails as Partial<MigrationHeartbeat> | undefined)?.taskArn;
      const taskArn = resumed ?? (await startTask(input));
      heartbeat({ taskArn } satisfies MigrationHeartbeat);
      for (;;) {
        const task = await readTask(input, taskArn);
        if (task.lastStatus === 'STOPPED') {
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
        heartbeat({ taskArn, lastStatus: task.lastStatus } satisfies MigrationHeartbeat);
        await ctx.sleep(pollIntervalMs);
      }
    },
  };
}

export type MigrationActivities = ReturnType<typeof createMigrationActivities>;
