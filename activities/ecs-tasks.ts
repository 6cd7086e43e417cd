/**
 * Reading ECS tasks for verdicts: how many tasks of a revision crashed, and why. The canary
 * analysis counts crashed canary tasks, and error messages quote the stopped reasons.
 */
import { DescribeTasksCommand, type ECSClient, ListTasksCommand, type Task } from '@aws-sdk/client-ecs';
import type { EcsServiceRef } from '../src/domain/release';
import { awsFailure } from './errors';

export interface CountCrashedTasksInput extends EcsServiceRef {
  /** Full ARN, or `family:revision`. */
  taskDefinition: string;
}

export interface CrashedTasks {
  crashed: number;
  /** Distinct stopped reasons (with the exit code when there is one), most frequent first. */
  reasons: string[];
}

/** The stop codes of tasks that died on their own; a scale-in or an operator stop is not a crash. */
const CRASH_STOP_CODES = new Set(['TaskFailedToStart', 'EssentialContainerExited']);
/** DescribeTasks accepts at most 100 tasks per call. */
const DESCRIBE_BATCH = 100;

function sameTaskDefinition(arn: string | undefined, wanted: string): boolean {
  return arn !== undefined && (arn === wanted || arn.endsWith(`/${wanted}`));
}

/**
 * Why a service task crashed, or undefined when it was stopped on purpose. A service's essential
 * container should never exit, so even exit code 0 counts; the first non-zero code is quoted.
 */
function crashReason(task: Task): string | undefined {
  if (!task.stopCode || !CRASH_STOP_CODES.has(task.stopCode)) return undefined;
  const exitCodes = (task.containers ?? []).map((c) => c.exitCode).filter((c): c is number => c !== undefined);
  const quoted = exitCodes.find((c) => c !== 0) ?? exitCodes[0];
  const reason = task.stoppedReason ?? task.stopCode;
  return quoted === undefined ? reason : `${reason} (exit code ${quoted})`;
}

async function stoppedTaskArns(ecs: ECSClient, input: CountCrashedTasksInput): Promise<string[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    try {
      const out = await ecs.send(new ListTasksCommand({ cluster: input.cluster, serviceName: input.service, desiredStatus: 'STOPPED', nextToken }));
      arns.push(...(out.taskArns ?? []));
      nextToken = out.nextToken;
    } catch (err) {
      throw awsFailure(err, `listing stopped tasks of ECS service ${input.cluster}/${input.service}`, 'ecs:ListTasks');
    }
  } while (nextToken);
  return arns;
}

/**
 * Tasks of `taskDefinition` in the service that stopped with TaskFailedToStart or
 * EssentialContainerExited. ECS keeps stopped tasks for about an hour, so this counts recent
 * crashes, which is what a canary bake and a failed deployment's message need.
 */
export async function crashedTasksOf(ecs: ECSClient, input: CountCrashedTasksInput): Promise<CrashedTasks> {
  const arns = await stoppedTaskArns(ecs, input);
  const counts = new Map<string, number>();
  let crashed = 0;
  for (let i = 0; i < arns.length; i += DESCRIBE_BATCH) {
    let tasks: Task[];
    try {
      const out = await ecs.send(new DescribeTasksCommand({ cluster: input.cluster, tasks: arns.slice(i, i + DESCRIBE_BATCH) }));
      tasks = out.tasks ?? [];
    } catch (err) {
      throw awsFailure(err, `describing stopped tasks of ECS service ${input.cluster}/${input.service}`, 'ecs:DescribeTasks');
    }
    // Tasks missing from the answer expired between the two calls: not counted either way.
    for (const task of tasks) {
      if (!sameTaskDefinition(task.taskDefinitionArn, input.taskDefinition)) continue;
      const reason = crashReason(task);
      if (reason === undefined) continue;
      crashed += 1;
      counts.set(reason, (counts.get(reason) ?? 0) + 1);
    }
  }
  const reasons = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([reason]) => reason);
  return { crashed, reasons };
}

export function createEcsTaskActivities({ ecs }: { ecs: ECSClient }) {
  return {
    /** Crashed tasks of one revision of a service, with their reasons (see crashedTasksOf). */
    async countCrashedTasks(input: CountCrashedTasksInput): Promise<CrashedTasks> {
      return crashedTasksOf(ecs, input);
    },
  };
}

export type EcsTaskActivities = ReturnType<typeof createEcsTaskActivities>;
