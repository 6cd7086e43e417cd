/**
 * ECS deploy steps, each safe to retry: every mutation reads the current state first and does
 * nothing when the change is already in place, because activities run at least once.
 */
import { Context, heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  type ECSClient,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type Service,
  type TaskDefinition,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import type { EcsServiceRef } from '../src/domain/release';
import { crashedTasksOf } from './ecs-tasks';
import { canonicalJson, containerImage, registrableCopy } from './task-definition-copy';
import { awsFailure, FailureType, nonRetryable } from './errors';

export interface EcsActivityOptions {
  /** How often a deployment wait polls ECS. @default 2000 */
  pollIntervalMs?: number;
  /** How many recent revisions of a family are searched for one that already has the image. @default 10 */
  revisionsToSearch?: number;
}

export interface PrepareTaskDefinitionInput {
  /** The service whose current task definition is copied. */
  source: EcsServiceRef;
  container: string;
  image: string;
}

export interface ServiceSnapshot {
  taskDefinition: string;
  desiredCount: number;
  runningCount: number;
}

export interface UpdateServiceInput extends EcsServiceRef {
  taskDefinition?: string;
  desiredCount?: number;
}

export interface UpdateServiceResult {
  /** State before the update; what an undo restores. */
  previous: ServiceSnapshot;
  /** False when the service already had the requested state (a retry after a crash). */
  changed: boolean;
}

export interface WaitForDeploymentInput extends EcsServiceRef {
  taskDefinition: string;
  timeoutMs: number;
}

/** What a failed deployment wait carries in its ApplicationFailure details, beside the message. */
export interface DeploymentFailureDetails {
  rolloutStateReason?: string;
  /** Newest first. */
  events: string[];
  /** Stopped reasons of the new revision's crashed tasks, most frequent first. */
  stoppedTaskReasons: string[];
}

/** What a deployment wait heartbeats; a retry reads it back. */
interface WaitHeartbeat {
  /** When the first attempt started waiting (worker clock): the deadline counts from here. */
  startedAt: number;
  /** The ECS deployment of the awaited task definition, once a poll has seen it. */
  deployment?: SeenDeployment;
  running?: number;
  desired?: number;
  rolloutState?: string;
}

/** A deployment as the wait remembers it: its id and when ECS created it (ECS clock). */
interface SeenDeployment {
  id: string;
  createdAtMs?: number;
}

/** How many service events and stopped-task reasons a deployment failure quotes. */
const RECENT_EVENTS = 3;
/** ECS's "(service x) has reached a steady state." event. */
const STEADY_STATE_EVENT = /has reached a steady state/i;

/** ECS's events when the circuit breaker rolls a deployment back. */
const ROLLBACK_EVENT = /rolling back|rolled back/i;
/**
 * When the wait never saw its deployment (the rollback finished before the first poll), events
 * this long before the wait began still count: the update came shortly before the wait, and the
 * worker's clock may be a little off ECS's. Older rollbacks belong to earlier deployments.
 */
const UNSEEN_DEPLOYMENT_SLACK_MS = 60_000;

/** Zero-downtime rolling settings for every service update Runway makes. */
const ROLLING_DEPLOYMENT = {
  maximumPercent: 200,
  minimumHealthyPercent: 100,
  deploymentCircuitBreaker: { enable: true, rollback: true },
};

/** What an updateService attempt heartbeats before it changes anything; its retry reads it back. */
interface UpdateServiceHeartbeat {
  previous: ServiceSnapshot;
}

export function snapshotOf(service: Service): ServiceSnapshot {
  return { taskDefinition: service.taskDefinition ?? '', desiredCount: service.desiredCount ?? 0, runningCount: service.runningCount ?? 0 };
}

/**
 * The state before an earlier attempt of this activity made the change now in place, or
 * undefined on a first attempt (or when nothing says). From the heartbeat of the lost attempt;
 * else, for a task definition change, from the newest older deployment ECS is still draining.
 */
function previousBeforeRetry(service: Service, input: UpdateServiceInput): ServiceSnapshot | undefined {
  const info = Context.current().info;
  if (info.attempt <= 1) return undefined;
  const recorded = (info.heartbeatDetails as Partial<UpdateServiceHeartbeat> | undefined)?.previous;
  if (recorded) return recorded;
  if (input.taskDefinition === undefined) return undefined;
  const older = service.deployments?.find((d) => d.status === 'ACTIVE' && d.taskDefinition !== input.taskDefinition);
  return older?.taskDefinition ? { ...snapshotOf(service), taskDefinition: older.taskDefinition } : undefined;
}

/** The newest listed deployment of `taskDefinition` (ECS lists newest first), if any. */
function deploymentOf(service: Service, taskDefinition: string): SeenDeployment | undefined {
  const d = service.deployments?.find((x) => x.taskDefinition === taskDefinition && x.id);
  return d ? { id: d.id!, createdAtMs: d.createdAt?.getTime() } : undefined;
}

/**
 * Whether ECS's events say the deployment of the awaited task definition was rolled back: an
 * event naming that deployment as failed or rolled back, or a rollback event no older than the
 * deployment (or, if it was never seen, than the wait). An older rollback is another
 * deployment's and must not label this failure.
 */
function rolledBackSince(service: Service, ours: SeenDeployment | undefined, waitStartedAt: number): boolean {
  const since = ours?.createdAtMs ?? waitStartedAt - UNSEEN_DEPLOYMENT_SLACK_MS;
  return (service.events ?? []).some((e) => {
    const message = e.message ?? '';
    if (ours && message.includes(`(deployment ${ours.id})`) && (ROLLBACK_EVENT.test(message) || /deployment failed/i.test(message))) return true;
    return ROLLBACK_EVENT.test(message) && e.createdAt !== undefined && e.createdAt.getTime() >= since;
  });
}

/** The service as DescribeServices shows it; a missing or no longer ACTIVE one fails without retry. */
export async function readActiveService(ecs: ECSClient, ref: EcsServiceRef): Promise<Service> {
  let out;
  try {
    out = await ecs.send(new DescribeServicesCommand({ cluster: ref.cluster, services: [ref.service] }));
  } catch (err) {
    throw awsFailure(err, `describing ECS service ${ref.cluster}/${ref.service}`, 'ecs:DescribeServices');
  }
  const service = out.services?.[0];
  if (!service) {
    const reason = out.failures?.[0]?.reason ?? 'MISSING';
    throw nonRetryable(`ECS service ${ref.cluster}/${ref.service} not found (${reason})`, FailureType.notFound);
  }
  if (service.status && service.status !== 'ACTIVE') {
    throw nonRetryable(`ECS service ${ref.cluster}/${ref.service} is ${service.status}`, FailureType.notFound);
  }
  return service;
}

export function createEcsActivities({ ecs, options = {} }: { ecs: ECSClient; options?: EcsActivityOptions }) {
  const pollIntervalMs = options.pollIntervalMs ?? 2000;
  const revisionsToSearch = options.revisionsToSearch ?? 10;

  const readService = (ref: EcsServiceRef) => readActiveService(ecs, ref);

  async function readTaskDefinition(arn: string): Promise<{ td: TaskDefinition; tags: RegisterTaskDefinitionCommandInput['tags'] }> {
    try {
      const out = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] }));
      if (!out.taskDefinition) throw nonRetryable(`task definition ${arn} not found`, FailureType.notFound);
      return { td: out.taskDefinition, tags: out.tags };
    } catch (err) {
      if (err instanceof ApplicationFailure) throw err;
      throw awsFailure(err, `describing task definition ${arn}`, 'ecs:DescribeTaskDefinition');
    }
  }

  /**
   * A recent revision of the family whose registrable content is exactly `wanted` (see
   * registrableCopy), so a retry never registers twice. Matching on the image alone is not
   * enough: an older revision with the same image but other environment variables, secrets or
   * sizes, or another environment's revision in a shared family, must not be deployed.
   */
  async function findIdenticalRevision(family: string, wanted: string): Promise<string | undefined> {
    let arns: string[] = [];
    try {
      const out = await ecs.send(
        new ListTaskDefinitionsCommand({ familyPrefix: family, sort: 'DESC', status: 'ACTIVE', maxResults: revisionsToSearch }),
      );
      arns = out.taskDefinitionArns ?? [];
    } catch (err) {
      throw awsFailure(err, `listing task definitions of ${family}`, 'ecs:ListTaskDefinitions');
    }
    for (const arn of arns) {
      const { td, tags } = await readTaskDefinition(arn);
      if (td.family === family && canonicalJson(registrableCopy(td, tags)) === wanted) return td.taskDefinitionArn;
    }
    return undefined;
  }

  const activities = {
    async describeService(ref: EcsServiceRef): Promise<ServiceSnapshot> {
      return snapshotOf(await readService(ref));
    },

    /**
     * Whether `taskDefinition` can still be deployed (a rollback's target): its status, with the
     * container's image. A deregistered (INACTIVE) or deleted revision cannot be: the answer says
     * so rather than failing, so the rollback can refuse naming it.
     */
    async checkTaskDefinition(input: { taskDefinition: string; container: string }): Promise<{ status: string; image?: string }> {
      try {
        const out = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: input.taskDefinition }));
        const td = out.taskDefinition;
        return { status: td?.status ?? 'MISSING', ...(td ? { image: containerImage(td, input.container) } : {}) };
      } catch (err) {
        // ECS answers a revision it no longer has with a ClientException ("Unable to describe task definition").
        if ((err as { name?: string }).name === 'ClientException') return { status: 'MISSING' };
        throw awsFailure(err, `describing task definition ${input.taskDefinition}`, 'ecs:DescribeTaskDefinition');
      }
    },

    /**
     * Returns a task definition that is the source service's current one with `image` in
     * `container`: the current one if it already has the image, an earlier revision whose
     * registrable content is identical to the copy (an earlier attempt's registration), or a
     * newly registered copy (read-only fields stripped, tags kept).
     */
    async prepareTaskDefinition(input: PrepareTaskDefinitionInput): Promise<{ taskDefinitionArn: string; registered: boolean }> {
      const service = await readService(input.source);
      const { td: current, tags } = await readTaskDefinition(service.taskDefinition ?? '');
      if (!current.containerDefinitions?.some((c) => c.name === input.container)) {
        throw nonRetryable(
          `task definition ${current.taskDefinitionArn} has no container named "${input.container}" (has: ${(current.containerDefinitions ?? []).map((c) => c.name).join(', ')})`,
          FailureType.invalidRequest,
        );
      }
      if (containerImage(current, input.container) === input.image) {
        return { taskDefinitionArn: current.taskDefinitionArn!, registered: false };
      }
      const withImage = { ...current, containerDefinitions: current.containerDefinitions!.map((c) => (c.name === input.container ? { ...c, image: input.image } : c)) };
      const copy = registrableCopy(withImage, tags);
      const existing = await findIdenticalRevision(current.family!, canonicalJson(copy));
      if (existing) return { taskDefinitionArn: existing, registered: false };

      try {
        const out = await ecs.send(new RegisterTaskDefinitionCommand(copy as unknown as RegisterTaskDefinitionCommandInput));
        return { taskDefinitionArn: out.taskDefinition!.taskDefinitionArn!, registered: true };
      } catch (err) {
        throw awsFailure(err, `registering a task definition for ${current.family} with ${input.image}`, 'ecs:RegisterTaskDefinition (and iam:PassRole for its roles)');
      }
    },

    /**
     * Sets task definition and/or desired count; a no-op when the service already has them.
     * `previous` is what an undo restores, so a retry after a crash must not report the state
     * its own lost attempt made: the attempt heartbeats the state it read before sending the
     * update, and a retry that finds the change in place takes `previous` from there (or, when
     * that heartbeat never reached Temporal, from the deployment ECS is still replacing).
     */
    async updateService(input: UpdateServiceInput): Promise<UpdateServiceResult> {
      const service = await readService(input);
      const current = snapshotOf(service);
      const tdChanges = input.taskDefinition !== undefined && input.taskDefinition !== current.taskDefinition;
      const countChanges = input.desiredCount !== undefined && input.desiredCount !== current.desiredCount;
      if (!tdChanges && !countChanges) return { previous: previousBeforeRetry(service, input) ?? current, changed: false };
      heartbeat({ previous: current } satisfies UpdateServiceHeartbeat);
      try {
        await ecs.send(
          new UpdateServiceCommand({
            cluster: input.cluster,
            service: input.service,
            taskDefinition: tdChanges ? input.taskDefinition : undefined,
            desiredCount: countChanges ? input.desiredCount : undefined,
            deploymentConfiguration: ROLLING_DEPLOYMENT,
          }),
        );
      } catch (err) {
        throw awsFailure(err, `updating ECS service ${input.cluster}/${input.service}`, 'ecs:UpdateService');
      }
      return { previous: current, changed: true };
    },

    /**
     * Waits until the PRIMARY deployment runs `taskDefinition` with rolloutState COMPLETED and
     * running == desired. ECS's own waiter is not enough: it calls a circuit-breaker rollback
     * "stable". The start time is heartbeated before the first poll, so a retry after a crash
     * keeps the deadline even when the lost attempt never got an answer from ECS; the deployment
     * of `taskDefinition` is heartbeated once seen, so a retry still tells its rollback from an
     * older one. Every failure quotes ECS: the rollout reason, the newest service events and why
     * tasks of the new revision stopped.
     */
    async waitForDeployment(input: WaitForDeploymentInput): Promise<{ runningCount: number }> {
      const ctx = Context.current();
      const resumed = ctx.info.heartbeatDetails as Partial<WaitHeartbeat> | undefined;
      const startedAt = resumed?.startedAt ?? Date.now();
      let ours = resumed?.deployment;
      heartbeat({ startedAt, deployment: ours } satisfies WaitHeartbeat);
      const where = `${input.cluster}/${input.service}`;
      const fail = async (message: string, type: string, service: Service, rolloutStateReason?: string) => {
        const evidence = await deploymentEvidence(service, input, rolloutStateReason);
        return nonRetryable(`${message}${evidence.text}`, type, evidence.details);
      };
      for (;;) {
        const service = await readService(input);
        ours = deploymentOf(service, input.taskDefinition) ?? ours;
        const primary = service.deployments?.find((d) => d.status === 'PRIMARY');
        if (!primary) throw await fail(`ECS service ${where} has no PRIMARY deployment`, FailureType.deploymentFailed, service);
        if (primary.taskDefinition !== input.taskDefinition) {
          // The circuit breaker's rollback: ECS's waiter calls this "stable"; it is a failure.
          // Once the rollback completes, the failed deployment is gone and only the events tell.
          const failed = service.deployments?.find((d) => d.taskDefinition === input.taskDefinition && d.rolloutState === 'FAILED');
          const rolledBack = failed !== undefined || rolledBackSince(service, ours, startedAt);
          const message = rolledBack
            ? `ECS rolled back the deployment of ${input.taskDefinition} to ${where} (circuit breaker)${failed?.rolloutStateReason ? `: ${failed.rolloutStateReason}` : ''}`
            : `ECS service ${where} is not deploying ${input.taskDefinition} (PRIMARY runs ${primary.taskDefinition}; rolled back or replaced)`;
          throw await fail(message, FailureType.deploymentFailed, service, failed?.rolloutStateReason);
        }
        if (primary.rolloutState === 'FAILED') {
          throw await fail(
            `deployment of ${input.taskDefinition} to ${where} failed: ${primary.rolloutStateReason ?? 'no reason given'}`,
            FailureType.deploymentFailed,
            service,
            primary.rolloutStateReason,
          );
        }
        const running = primary.runningCount ?? 0;
        const desired = primary.desiredCount ?? 0;
        if (primary.rolloutState === 'COMPLETED' && running === desired) return { runningCount: running };
        if (Date.now() - startedAt > input.timeoutMs) {
          throw await fail(
            `deployment of ${input.taskDefinition} to ${where} did not complete within ${Math.round(input.timeoutMs / 1000)} s (${running}/${desired} running, rollout ${primary.rolloutState})`,
            FailureType.deploymentTimedOut,
            service,
            primary.rolloutStateReason,
          );
        }
        heartbeat({ startedAt, deployment: ours, running, desired, rolloutState: primary.rolloutState } satisfies WaitHeartbeat);
        await ctx.sleep(pollIntervalMs);
      }
    },
  };
  return activities;

  /**
   * What ECS says about a deployment that went wrong, for the failure message and its details:
   * the newest service events and the stopped reasons of the new revision's crashed tasks. Best
   * effort: a failure to read the tasks must not hide the verdict itself.
   */
  async function deploymentEvidence(service: Service, input: WaitForDeploymentInput, rolloutStateReason?: string): Promise<{ text: string; details: DeploymentFailureDetails }> {
    // "Reached a steady state" follows a circuit-breaker rollback too; quoted in a failure it misleads.
    const events = (service.events ?? [])
      .map((e) => e.message)
      .filter((m): m is string => Boolean(m) && !STEADY_STATE_EVENT.test(m!))
      .slice(0, RECENT_EVENTS);
    let stoppedTaskReasons: string[] = [];
    try {
      stoppedTaskReasons = (await crashedTasksOf(ecs, input)).reasons.slice(0, RECENT_EVENTS);
    } catch {
      // Without ecs:ListTasks (or on a throttled read) the events still tell most of the story.
    }
    const text = [events.join(' | '), stoppedTaskReasons.length > 0 ? `stopped tasks: ${stoppedTaskReasons.join('; ')}` : '']
      .filter(Boolean)
      .map((part) => ` — ${part}`)
      .join('');
    return { text, details: { rolloutStateReason, events, stoppedTaskReasons } };
  }
}

export type EcsActivities = ReturnType<typeof createEcsActivities>;
