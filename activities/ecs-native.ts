/**
 * ECS's own BLUE_GREEN, LINEAR and CANARY deployments, driven from outside: Runway sets the
 * strategy with PAUSE lifecycle hooks, waits for the deployment to stop at a hook, answers it
 * (CONTINUE or ROLLBACK) once its analysis has decided, and waits for ECS's verdict from the
 * service deployment itself (DescribeServiceDeployments), not from DescribeServices.
 *
 * Activities run at least once: every mutation reads first and does nothing when its change is
 * already in place (an update already made, a hook already answered, a rollback already under
 * way), and every wait heartbeats when it started so a retry keeps the deadline.
 */
import { Context, heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import {
  ContinueServiceDeploymentCommand,
  type DeploymentConfiguration,
  type DeploymentLifecycleHook,
  type DeploymentLifecycleHookDetail,
  DescribeServiceDeploymentsCommand,
  DescribeServiceRevisionsCommand,
  type ECSClient,
  ListServiceDeploymentsCommand,
  type LoadBalancer,
  type Service,
  type ServiceDeployment,
  StopServiceDeploymentCommand,
  UpdateServiceCommand,
  type UpdateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import type { EcsServiceRef, ProductionLoadBalancer } from '../src/domain/release';
import { type EcsActivityOptions, readActiveService, type ServiceSnapshot, snapshotOf } from './ecs';
import { awsFailure, FailureType, nonRetryable } from './errors';

export type NativeStrategy = 'CANARY' | 'LINEAR' | 'BLUE_GREEN';

/**
 * The hook stages a PAUSE hook may stop at that Runway uses. PRE_PRODUCTION_TRAFFIC_SHIFT shows
 * as lifecycleStage PRODUCTION_TRAFFIC_SHIFT in DescribeServiceDeployments (the model's
 * lifecycle-stage enum has no PRE_PRODUCTION value), with the weights not yet moved.
 */
export type PauseStage = 'POST_SCALE_UP' | 'POST_TEST_TRAFFIC_SHIFT' | 'PRE_PRODUCTION_TRAFFIC_SHIFT' | 'POST_PRODUCTION_TRAFFIC_SHIFT';

/** The target groups and listener rules ECS shifts traffic on, as the release plan carries them. */
export type NativeLoadBalancer = ProductionLoadBalancer;

export interface NativeDeploymentConfig {
  strategy: NativeStrategy;
  /** CANARY: production traffic on the new revision before the rest moves (ECS's default 5). */
  canaryPercent?: number;
  /** LINEAR: production traffic moved per step (ECS's default 10). */
  stepPercent?: number;
  loadBalancer: NativeLoadBalancer;
  /** One PAUSE hook per entry, timeout action ROLLBACK (a Runway that disappears fails safe). Empty = no hooks. */
  pauses: { stages: PauseStage[]; timeoutMinutes: number }[];
}

export interface StartNativeDeploymentInput extends EcsServiceRef {
  taskDefinition: string;
  config: NativeDeploymentConfig;
}

export interface StartNativeDeploymentResult {
  serviceDeploymentArn: string;
  /** The service before the update: what an undo restores. */
  previous: ServiceSnapshot;
  /** False when the service already ran `taskDefinition` (a retry after a crash). */
  changed: boolean;
}

export type LifecycleHookWait =
  /** A PAUSE hook awaits action; `status` is the deployment's (IN_PROGRESS, or a ROLLBACK_* when ECS pauses its rollback). */
  | { kind: 'awaiting'; hookId: string; lifecycleStage: string; status: string }
  /** The deployment is no longer under way (SUCCESSFUL, STOPPED, STOP_REQUESTED, ROLLBACK_*): no hook of it will come. `message` says what ECS did, in a sentence. */
  | { kind: 'ended'; status: string; statusReason?: string; message: string };

export interface AnswerLifecycleHookResult {
  /** True only when this attempt's ContinueServiceDeployment took effect. */
  answered: boolean;
  /** The hook's status when it was not answered here (SUCCEEDED / FAILED after an earlier answer, TIMED_OUT); absent when the deployment no longer lists the hook (it moved past its stage). */
  hookStatus?: string;
  /** The service deployment's status after the call. */
  deploymentStatus: string;
}

export interface DeploymentWaitInput {
  serviceDeploymentArn: string;
  /** From the first attempt's start: a retry resumes with the same deadline. */
  timeoutMs: number;
}

export interface ServiceDeploymentEnd {
  status: string;
  statusReason?: string;
  /** What ECS did, in a sentence. */
  message: string;
}

/** Statuses of a deployment still moving forward: hooks may still come, and it can be stopped. */
const UNDER_WAY = new Set(['PENDING', 'IN_PROGRESS']);
/** Where awaitServiceDeploymentEnd stops (ROLLBACK_FAILED fails it). */
const FINAL = new Set(['SUCCESSFUL', 'STOPPED', 'ROLLBACK_SUCCESSFUL', 'ROLLBACK_FAILED']);

/**
 * How long after the service's new PRIMARY deployment its service deployment may have been
 * created, and before: both are made by the same UpdateService on ECS's clock, so a service
 * deployment of the same task definition much older than this is an earlier release's.
 */
const SAME_UPDATE_SLACK_MS = 60_000;
/** How many service deployments are searched for the one of a task definition (newest first). */
const DEPLOYMENTS_TO_SEARCH = 20;
/** How long startNativeDeployment waits for ECS to list the service deployment its update started. */
const LISTING_WAIT_MS = 30_000;

/** What a startNativeDeployment attempt heartbeats before it changes anything; its retry reads it back. */
interface StartHeartbeat {
  previous: ServiceSnapshot;
  /** When the attempt was about to update the service (worker clock); absent in heartbeats of older attempts. */
  startedAtMs?: number;
}

/** What a deployment wait heartbeats; a retry keeps the deadline. */
interface WaitHeartbeat {
  /** When the first attempt started waiting (worker clock). */
  startedAt: number;
  status?: string;
  lifecycleStage?: string;
}

/**
 * The UpdateService request for a deployment of `taskDefinition` under `config`: the strategy
 * with every ECS bake time 0 (Runway's analysis bakes while a hook holds the deployment), a PAUSE
 * hook per pause with timeout action ROLLBACK, and the load balancer's advanced configuration.
 * The whole deploymentConfiguration is sent, so nothing of an earlier one lingers: the circuit
 * breaker stays on with rollback (the ECS guide lists it for rolling and blue/green deployments;
 * tasks that never get healthy roll back without Runway) and the rolling percentages are
 * Runway's usual ones.
 */
export function nativeUpdateServiceRequest(input: StartNativeDeploymentInput): UpdateServiceCommandInput {
  const { config } = input;
  const lifecycleHooks: DeploymentLifecycleHook[] = config.pauses.map((p) => ({
    targetType: 'PAUSE',
    lifecycleStages: p.stages,
    timeoutConfiguration: { timeoutInMinutes: p.timeoutMinutes, action: 'ROLLBACK' },
  }));
  const deploymentConfiguration: DeploymentConfiguration = {
    maximumPercent: 200,
    minimumHealthyPercent: 100,
    deploymentCircuitBreaker: { enable: true, rollback: true },
    strategy: config.strategy,
    bakeTimeInMinutes: 0,
    ...(config.strategy === 'CANARY'
      ? { canaryConfiguration: { ...(config.canaryPercent === undefined ? {} : { canaryPercent: config.canaryPercent }), canaryBakeTimeInMinutes: 0 } }
      : {}),
    ...(config.strategy === 'LINEAR'
      ? { linearConfiguration: { ...(config.stepPercent === undefined ? {} : { stepPercent: config.stepPercent }), stepBakeTimeInMinutes: 0 } }
      : {}),
    lifecycleHooks,
  };
  const lb = config.loadBalancer;
  const loadBalancers: LoadBalancer[] = [
    {
      targetGroupArn: lb.targetGroupArn,
      containerName: lb.containerName,
      containerPort: lb.containerPort,
      advancedConfiguration: {
        alternateTargetGroupArn: lb.alternateTargetGroupArn,
        productionListenerRule: lb.productionListenerRule,
        ...(lb.testListenerRule ? { testListenerRule: lb.testListenerRule } : {}),
        roleArn: lb.roleArn,
      },
    },
  ];
  return { cluster: input.cluster, service: input.service, taskDefinition: input.taskDefinition, deploymentConfiguration, loadBalancers };
}

/** The PAUSE hook awaiting action, if any (a Lambda hook is ECS's to run, never Runway's to answer). */
function awaitingPause(sd: ServiceDeployment): DeploymentLifecycleHookDetail | undefined {
  return sd.lifecycleHookDetails?.find((h) => h.status === 'AWAITING_ACTION' && (h.targetType ?? 'PAUSE') === 'PAUSE' && h.hookId);
}

/** What ECS did with a deployment that is no longer under way, in a sentence. */
export function endSentence(sd: ServiceDeployment): string {
  const reason = sd.rollback?.reason ?? sd.statusReason;
  const why = reason ? `: ${reason}` : '';
  switch (sd.status) {
    case 'SUCCESSFUL':
      return 'ECS completed the deployment.';
    case 'ROLLBACK_REQUESTED':
    case 'ROLLBACK_IN_PROGRESS':
      return `ECS is rolling the deployment back${why}`;
    case 'ROLLBACK_SUCCESSFUL':
      return `ECS rolled the deployment back${why}`;
    case 'ROLLBACK_FAILED':
      return `ECS could not roll the deployment back${sd.statusReason ? `: ${sd.statusReason}` : why}`;
    case 'STOPPED':
    case 'STOP_REQUESTED':
      return `ECS stopped the deployment${sd.statusReason ? `: ${sd.statusReason}` : ''}`;
    default:
      return `The deployment is ${sd.status}${sd.statusReason ? `: ${sd.statusReason}` : ''}`;
  }
}

/** Where a deployment is, for messages: status, stage and the hook it waits on. */
function whereItIs(sd: ServiceDeployment): string {
  const hook = awaitingPause(sd);
  return `${sd.status} at lifecycle stage ${sd.lifecycleStage ?? 'unknown'}${hook ? `, PAUSE hook ${hook.hookId} awaiting action` : ''}`;
}

/** Seconds, to a tenth. */
const seconds = (ms: number) => Math.round(ms / 100) / 10;

const isContinueRefusal = (err: unknown) => ['InvalidParameterException', 'ClientException'].includes((err as { name?: string }).name ?? '');

export function createEcsNativeActivities({ ecs, options = {} }: { ecs: ECSClient; options?: EcsActivityOptions }) {
  const pollIntervalMs = options.pollIntervalMs ?? 2000;

  async function readDeployment(arn: string): Promise<ServiceDeployment> {
    let out;
    try {
      out = await ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] }));
    } catch (err) {
      throw awsFailure(err, `describing ECS service deployment ${arn}`, 'ecs:DescribeServiceDeployments');
    }
    const sd = out.serviceDeployments?.[0];
    if (!sd) {
      const failure = out.failures?.[0];
      throw nonRetryable(`ECS service deployment ${arn} not found (${failure?.reason ?? 'MISSING'}${failure?.detail ? `: ${failure.detail}` : ''})`, FailureType.notFound);
    }
    return sd;
  }

  /** Task definition of each service revision ARN ECS knows (unknown ones are left out). */
  async function revisionTaskDefinitions(arns: string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (let i = 0; i < arns.length; i += 20) {
      try {
        const out = await ecs.send(new DescribeServiceRevisionsCommand({ serviceRevisionArns: arns.slice(i, i + 20) }));
        for (const r of out.serviceRevisions ?? []) if (r.serviceRevisionArn && r.taskDefinition) found.set(r.serviceRevisionArn, r.taskDefinition);
      } catch (err) {
        throw awsFailure(err, 'describing ECS service revisions', 'ecs:DescribeServiceRevisions');
      }
    }
    return found;
  }

  /**
   * The newest service deployment of the service whose target revision runs `taskDefinition`,
   * created no earlier than `notBeforeMs` (ECS's clock) less some slack; undefined if none.
   */
  async function deploymentOf(ref: EcsServiceRef, taskDefinition: string, notBeforeMs: number | undefined): Promise<string | undefined> {
    let listed;
    try {
      listed = await ecs.send(new ListServiceDeploymentsCommand({ cluster: ref.cluster, service: ref.service, maxResults: DEPLOYMENTS_TO_SEARCH }));
    } catch (err) {
      throw awsFailure(err, `listing service deployments of ECS service ${ref.cluster}/${ref.service}`, 'ecs:ListServiceDeployments');
    }
    const candidates = (listed.serviceDeployments ?? [])
      .filter((d) => d.serviceDeploymentArn && d.targetServiceRevisionArn)
      .filter((d) => notBeforeMs === undefined || (d.createdAt?.getTime() ?? 0) >= notBeforeMs - SAME_UPDATE_SLACK_MS)
      .sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0));
    if (candidates.length === 0) return undefined;
    const tds = await revisionTaskDefinitions([...new Set(candidates.map((d) => d.targetServiceRevisionArn!))]);
    return candidates.find((d) => tds.get(d.targetServiceRevisionArn!) === taskDefinition)?.serviceDeploymentArn;
  }

  /** When ECS created the service's newest deployment of `taskDefinition` (DescribeServices), on ECS's clock. */
  const deploymentCreatedAt = (service: Service | undefined, taskDefinition: string) =>
    service?.deployments?.find((d) => d.taskDefinition === taskDefinition)?.createdAt?.getTime();

  /**
   * What the service ran before a deployment an earlier attempt started: its heartbeat, else the
   * deployment's source revision, else the older deployment ECS still runs beside it.
   */
  async function previousOf(arn: string, service: Service, current: ServiceSnapshot): Promise<ServiceSnapshot> {
    const info = Context.current().info;
    if (info.attempt <= 1) return current;
    const recorded = (info.heartbeatDetails as Partial<StartHeartbeat> | undefined)?.previous;
    if (recorded) return recorded;
    const source = (await readDeployment(arn)).sourceServiceRevisions?.[0];
    const sourceTd = source?.arn ? (await revisionTaskDefinitions([source.arn])).get(source.arn) : undefined;
    if (sourceTd) return { taskDefinition: sourceTd, desiredCount: current.desiredCount, runningCount: source?.runningTaskCount ?? 0 };
    const older = service.deployments?.find((d) => d.status === 'ACTIVE' && d.taskDefinition !== current.taskDefinition);
    return older?.taskDefinition ? { ...current, taskDefinition: older.taskDefinition } : current;
  }

  /** Polls `read` until it answers something, within LISTING_WAIT_MS, heartbeating `details`. */
  async function untilListed(read: () => Promise<string | undefined>, details: StartHeartbeat): Promise<string | undefined> {
    const deadline = Date.now() + LISTING_WAIT_MS;
    for (;;) {
      const found = await read();
      if (found || Date.now() > deadline) return found;
      heartbeat(details);
      await Context.current().sleep(Math.min(pollIntervalMs, 1000));
    }
  }

  /**
   * Reads the deployment every pollIntervalMs until `decide` answers; heartbeats when the wait
   * began (a retry keeps the deadline) and where the deployment is. A timeout fails without
   * retry: "<deployment> <didWhat> within N s (<where it is>)".
   */
  async function pollDeployment<T>(input: DeploymentWaitInput, didWhat: string, decide: (sd: ServiceDeployment) => T | undefined): Promise<T> {
    const ctx = Context.current();
    const startedAt = (ctx.info.heartbeatDetails as Partial<WaitHeartbeat> | undefined)?.startedAt ?? Date.now();
    heartbeat({ startedAt } satisfies WaitHeartbeat);
    for (;;) {
      const sd = await readDeployment(input.serviceDeploymentArn);
      const decided = decide(sd);
      if (decided !== undefined) return decided;
      if (Date.now() - startedAt > input.timeoutMs) {
        throw nonRetryable(`ECS service deployment ${input.serviceDeploymentArn} ${didWhat} within ${seconds(input.timeoutMs)} s (${whereItIs(sd)})`, FailureType.deploymentTimedOut);
      }
      heartbeat({ startedAt, status: sd.status, lifecycleStage: sd.lifecycleStage } satisfies WaitHeartbeat);
      await ctx.sleep(pollIntervalMs);
    }
  }

  return {
    /**
     * Starts a deployment of `taskDefinition` under ECS's own strategy (see
     * nativeUpdateServiceRequest) and answers its service deployment's ARN. A retry that finds
     * the service already on `taskDefinition` changes nothing and answers the service deployment
     * that targets it, with the state before it from the lost attempt's heartbeat (or the
     * deployment's source revision).
     */
    async startNativeDeployment(input: StartNativeDeploymentInput): Promise<StartNativeDeploymentResult> {
      const where = `${input.cluster}/${input.service}`;
      const service = await readActiveService(ecs, input);
      const current = snapshotOf(service);
      // A retry whose lost attempt updated the service finds that deployment, even when ECS has
      // rolled it back meanwhile (a hook timed out while no worker ran): it must not deploy again.
      const lost = Context.current().info.heartbeatDetails as Partial<StartHeartbeat> | undefined;
      if (lost?.previous && lost.startedAtMs !== undefined && current.taskDefinition !== input.taskDefinition) {
        const own = await deploymentOf(input, input.taskDefinition, lost.startedAtMs);
        if (own) return { serviceDeploymentArn: own, previous: lost.previous, changed: false };
      }
      if (current.taskDefinition === input.taskDefinition) {
        const arn = await deploymentOf(input, input.taskDefinition, deploymentCreatedAt(service, input.taskDefinition));
        if (!arn) {
          throw nonRetryable(
            `ECS service ${where} already runs ${input.taskDefinition} and no service deployment targets it: there is no ${input.config.strategy} deployment to drive`,
            FailureType.invalidRequest,
          );
        }
        return { serviceDeploymentArn: arn, previous: await previousOf(arn, service, current), changed: false };
      }
      const progress: StartHeartbeat = { previous: current, startedAtMs: Date.now() };
      heartbeat(progress);
      let updated: Service | undefined;
      try {
        updated = (await ecs.send(new UpdateServiceCommand(nativeUpdateServiceRequest(input)))).service;
      } catch (err) {
        throw awsFailure(err, `updating ECS service ${where} to ${input.taskDefinition} with the ${input.config.strategy} strategy`, 'ecs:UpdateService (and iam:PassRole for the load balancer role)');
      }
      const notBefore = deploymentCreatedAt(updated, input.taskDefinition);
      const arn = await untilListed(() => deploymentOf(input, input.taskDefinition, notBefore), progress);
      if (!arn) {
        // Retryable: the retry finds the service on the task definition and looks again.
        throw ApplicationFailure.create({
          message: `ECS service ${where} was updated to ${input.taskDefinition} but lists no service deployment targeting it after ${LISTING_WAIT_MS / 1000} s`,
          type: FailureType.deploymentFailed,
          nonRetryable: false,
        });
      }
      return { serviceDeploymentArn: arn, previous: current, changed: true };
    },

    /**
     * Waits until the deployment stops at a PAUSE hook awaiting action, or is no longer under way
     * (no hook of it will come). A timeout fails without retry, naming the deployment and where
     * it is.
     */
    async awaitLifecycleHook(input: DeploymentWaitInput): Promise<LifecycleHookWait> {
      return pollDeployment(input, 'reached no lifecycle hook', (sd) => {
        const hook = awaitingPause(sd);
        if (hook) return { kind: 'awaiting', hookId: hook.hookId!, lifecycleStage: sd.lifecycleStage ?? 'unknown', status: sd.status ?? 'unknown' };
        if (UNDER_WAY.has(sd.status ?? '')) return undefined;
        return { kind: 'ended', status: sd.status ?? 'unknown', ...(sd.statusReason ? { statusReason: sd.statusReason } : {}), message: endSentence(sd) };
      });
    },

    /**
     * Answers a PAUSE hook with CONTINUE or ROLLBACK, at most once: a hook no longer awaiting
     * action (answered by an earlier attempt, timed out, or gone with its stage) is reported, not
     * answered again.
     */
    async answerLifecycleHook(input: { serviceDeploymentArn: string; hookId: string; action: 'CONTINUE' | 'ROLLBACK' }): Promise<AnswerLifecycleHookResult> {
      const notAnswered = (sd: ServiceDeployment): AnswerLifecycleHookResult => {
        const status = sd.lifecycleHookDetails?.find((h) => h.hookId === input.hookId)?.status;
        return { answered: false, ...(status ? { hookStatus: status } : {}), deploymentStatus: sd.status ?? 'unknown' };
      };
      const before = await readDeployment(input.serviceDeploymentArn);
      const hook = before.lifecycleHookDetails?.find((h) => h.hookId === input.hookId);
      if (hook?.status !== 'AWAITING_ACTION') return notAnswered(before);
      try {
        await ecs.send(new ContinueServiceDeploymentCommand({ serviceDeploymentArn: input.serviceDeploymentArn, hookId: input.hookId, action: input.action }));
      } catch (err) {
        // The hook timed out (or the deployment moved) between the read and the answer.
        if (isContinueRefusal(err)) {
          const after = await readDeployment(input.serviceDeploymentArn);
          if (after.lifecycleHookDetails?.find((h) => h.hookId === input.hookId)?.status !== 'AWAITING_ACTION') return notAnswered(after);
        }
        throw awsFailure(err, `answering lifecycle hook ${input.hookId} of ECS service deployment ${input.serviceDeploymentArn} with ${input.action}`, 'ecs:ContinueServiceDeployment');
      }
      const after = await readDeployment(input.serviceDeploymentArn);
      return { answered: true, deploymentStatus: after.status ?? 'unknown' };
    },

    /**
     * Rolls back a deployment under way with StopServiceDeployment(ROLLBACK): one call whether
     * or not a hook is paused, with no hook id to race against a timeout; ECS moves the listener
     * rules back to blue first. Nothing to do for one already rolling back, rolled back or
     * stopped; a SUCCESSFUL one cannot be rolled back (requested false: redeploy the old revision).
     */
    async rollBackServiceDeployment(input: { serviceDeploymentArn: string }): Promise<{ requested: boolean; status: string }> {
      const before = await readDeployment(input.serviceDeploymentArn);
      if (!UNDER_WAY.has(before.status ?? '')) return { requested: false, status: before.status ?? 'unknown' };
      try {
        await ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: input.serviceDeploymentArn, stopType: 'ROLLBACK' }));
      } catch (err) {
        // It ended (or started rolling back) between the read and the stop.
        if ((err as { name?: string }).name === 'ConflictException') {
          const after = await readDeployment(input.serviceDeploymentArn);
          if (!UNDER_WAY.has(after.status ?? '')) return { requested: false, status: after.status ?? 'unknown' };
        }
        throw awsFailure(err, `rolling back ECS service deployment ${input.serviceDeploymentArn}`, 'ecs:StopServiceDeployment');
      }
      return { requested: true, status: (await readDeployment(input.serviceDeploymentArn)).status ?? 'unknown' };
    },

    /**
     * Waits until the deployment is SUCCESSFUL, STOPPED or ROLLBACK_SUCCESSFUL. A PAUSE hook
     * awaiting action is left alone (answering is the workflow's) and its wait counts toward the
     * timeout. ROLLBACK_FAILED and the timeout fail without retry, quoting ECS.
     */
    async awaitServiceDeploymentEnd(input: DeploymentWaitInput): Promise<ServiceDeploymentEnd> {
      return pollDeployment(input, 'did not end', (sd) => {
        const status = sd.status ?? 'unknown';
        if (status === 'ROLLBACK_FAILED') {
          throw nonRetryable(`ECS service deployment ${input.serviceDeploymentArn} ended ROLLBACK_FAILED: ${endSentence(sd)}`, FailureType.deploymentFailed, {
            status,
            statusReason: sd.statusReason,
            rollbackReason: sd.rollback?.reason,
          });
        }
        if (!FINAL.has(status)) return undefined;
        return { status, ...(sd.statusReason ? { statusReason: sd.statusReason } : {}), message: endSentence(sd) };
      });
    },
  };
}

export type EcsNativeActivities = ReturnType<typeof createEcsNativeActivities>;
