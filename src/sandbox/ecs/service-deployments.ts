/**
 * Service deployments of ECS's own strategies: starting one when UpdateService makes a new
 * deployment of a BLUE_GREEN, LINEAR or CANARY service, and the operations that read and steer
 * them (ListServiceDeployments, DescribeServiceDeployments, ContinueServiceDeployment,
 * StopServiceDeployment) with their request and answer shapes as in botocore's ECS model, and
 * DescribeServiceRevisions for the revisions they name (one per deployment of the service).
 * Rolling deployments have no service deployment record in the sandbox.
 */
import { z } from 'zod';
import { clusterArn, epochSeconds, serviceArn } from './arns';
import { EcsError, EcsErrorType, parseInput } from './api-errors';
import { circuitBreakerThreshold, type DeploymentRecord, type IdSource } from './deployments';
import type { NativeStrategyPlan } from './native-config';
import { NativeDeploymentEngine, planEntries, type ServiceDeploymentRecord } from './native-deployment';
import { takeNativeFaults } from './native-faults';
import type { ServiceRecord } from './services';
import type { ScenarioStore } from '../scenario';

/** Deployments still moving: a newer one supersedes them. */
const UNDER_WAY = new Set(['PENDING', 'IN_PROGRESS']);

const listSchema = z.looseObject({
  service: z.string().min(1),
  cluster: z.string().optional(),
  status: z.array(z.string()).optional(),
  createdAt: z.looseObject({ before: z.number().optional(), after: z.number().optional() }).optional(),
  nextToken: z.string().optional(),
  maxResults: z.number().int().min(1).max(100).optional(),
});
const describeSchema = z.looseObject({ serviceDeploymentArns: z.array(z.string().min(1)).min(1).max(20) });
const continueSchema = z.looseObject({ serviceDeploymentArn: z.string().min(1), hookId: z.string().min(1), action: z.enum(['CONTINUE', 'ROLLBACK']).optional() });
const stopSchema = z.looseObject({ serviceDeploymentArn: z.string().min(1), stopType: z.enum(['ABORT', 'ROLLBACK']).optional() });
/** "You can specify a maximum of 20 ARNs." */
const describeRevisionsSchema = z.looseObject({ serviceRevisionArns: z.array(z.string().min(1)).min(1).max(20) });

const ARN = /^arn:aws:ecs:[^:]+:\d+:service-deployment\/([^/]+)\/([^/]+)\/([^/]+)$/;
const REVISION_ARN = /^arn:aws:ecs:[^:]+:\d+:service-revision\/([^/]+)\/([^/]+)\/([^/]+)$/;

export interface ServiceDeploymentsDeps {
  now: () => number;
  ids: IdSource;
  scenario: ScenarioStore;
  /** The service, settled up to now; throws ECS's errors for an unknown cluster or service. */
  service: (cluster: string | undefined, name: string) => ServiceRecord;
}

export class ServiceDeployments {
  private counter = 0;
  private readonly engine: NativeDeploymentEngine;

  constructor(private readonly deps: ServiceDeploymentsDeps) {
    this.engine = new NativeDeploymentEngine(deps.ids);
  }

  /**
   * UpdateService made `target` the new PRIMARY deployment of a service with a native strategy:
   * a service deployment starts, superseding one still under way. Blue is the newest deployment
   * still running a completed rollout.
   */
  start(service: ServiceRecord, target: DeploymentRecord, plan: NativeStrategyPlan, nowMs: number): void {
    const records = (service.serviceDeployments ??= []);
    const id = `sandbox-sd-${++this.counter}`;
    for (const sd of records) if (UNDER_WAY.has(sd.status)) this.engine.supersede(service, sd, id, nowMs);
    const source = service.deployments.find((d) => d !== target && d.status !== 'INACTIVE' && d.rolloutState === 'COMPLETED');
    if (!source) throw new EcsError(EcsErrorType.client, 'The service has no running service revision to deploy from.');
    // Settling must never complete the green deployment on its own: CLEAN_UP does.
    target.settlesAtMs = Number.MAX_SAFE_INTEGER;
    target.native = true;
    const scenario = this.deps.scenario.get().ecs;
    const { taken, remaining } = takeNativeFaults(scenario?.nativeDeployments);
    if (remaining !== scenario?.nativeDeployments) this.deps.scenario.merge({ ecs: { nativeDeployments: remaining } });
    const sd: ServiceDeploymentRecord = {
      id,
      strategy: plan.strategy,
      createdAtMs: nowMs,
      updatedAtMs: nowMs,
      status: 'IN_PROGRESS',
      deploymentConfiguration: structuredClone(service.deploymentConfiguration),
      testListener: plan.testListener,
      plan: planEntries(plan, target.delayMs, taken.minuteMs),
      index: 0,
      hooks: [],
      hookDefinitions: plan.hooks,
      source,
      target,
      weights: { production: 0, test: 0 },
      minuteMs: taken.minuteMs,
      delayMs: target.delayMs,
      hookTimesOut: taken.hookTimesOut,
      rollbackFails: taken.rollbackFails,
    };
    records.unshift(sd);
    this.engine.begin(service, sd, nowMs);
  }

  /** Plays the service's deployments up to now; called before settle.ts settles the service. */
  advance(service: ServiceRecord, nowMs: number): void {
    for (const sd of service.serviceDeployments ?? []) this.engine.advance(service, sd, nowMs);
  }

  /** Production and test traffic per task definition: the green and blue revisions' weights while a deployment moves them, else all on the PRIMARY. */
  trafficWeights(service: ServiceRecord): { taskDefinition: string; production: number; test: number }[] {
    const latest = service.serviceDeployments?.[0];
    // A deployment the circuit breaker stopped without rollback leaves its failed green PRIMARY (as a rolling one does) and the traffic where it was.
    const stoppedInPlace = latest?.status === 'STOPPED' && latest.circuitBreakerTripped === true && latest.target.status === 'PRIMARY';
    const moving = latest && (latest.status === 'IN_PROGRESS' || latest.status.startsWith('ROLLBACK_') || latest.status === 'STOP_REQUESTED' || stoppedInPlace);
    if (latest && moving && latest.status !== 'ROLLBACK_SUCCESSFUL') {
      const { production, test } = latest.weights;
      return [
        { taskDefinition: latest.source.taskDefinitionArn, production: 100 - production, test: latest.testListener ? 100 - test : 0 },
        { taskDefinition: latest.target.taskDefinitionArn, production, test },
      ];
    }
    const primary = service.deployments.find((d) => d.status === 'PRIMARY');
    return primary ? [{ taskDefinition: primary.taskDefinitionArn, production: 100, test: 0 }] : [];
  }

  listServiceDeployments(input: unknown): Record<string, unknown> {
    const q = parseInput(listSchema, input);
    const service = this.deps.service(q.cluster, q.service);
    const matching = (service.serviceDeployments ?? []).filter(
      (sd) =>
        (!q.status || q.status.includes(sd.status)) &&
        (q.createdAt?.before === undefined || epochSeconds(sd.createdAtMs) < q.createdAt.before) &&
        (q.createdAt?.after === undefined || epochSeconds(sd.createdAtMs) > q.createdAt.after),
    );
    const start = q.nextToken === undefined ? 0 : Number(q.nextToken);
    if (!Number.isInteger(start) || start < 0 || start > matching.length) throw new EcsError(EcsErrorType.invalidParameter, 'nextToken is not valid.');
    const end = start + (q.maxResults ?? 20);
    return {
      serviceDeployments: matching.slice(start, end).map((sd) => briefToWire(service, sd)),
      ...(end < matching.length ? { nextToken: String(end) } : {}),
    };
  }

  describeServiceDeployments(input: unknown): Record<string, unknown> {
    const q = parseInput(describeSchema, input);
    const { described, failures } = describeEach(q.serviceDeploymentArns, (arn) => this.find(arn), (found) => serviceDeploymentToWire(found.service, found.sd));
    return { serviceDeployments: described, failures };
  }

  continueServiceDeployment(input: unknown): Record<string, unknown> {
    const q = parseInput(continueSchema, input);
    const { service, sd } = this.require(q.serviceDeploymentArn);
    if (sd.status !== 'IN_PROGRESS') throw new EcsError(EcsErrorType.invalidParameter, `The service deployment is ${sd.status}, not IN_PROGRESS: there is no lifecycle hook awaiting action.`);
    const hook = sd.hooks.find((h) => h.hookId === q.hookId);
    if (!hook || hook.status !== 'AWAITING_ACTION') throw new EcsError(EcsErrorType.invalidParameter, `hookId ${q.hookId} is not a lifecycle hook awaiting action in this service deployment.`);
    this.engine.answerHook(service, sd, hook, q.action ?? 'CONTINUE', this.deps.now());
    this.engine.advance(service, sd, this.deps.now());
    return { serviceDeploymentArn: q.serviceDeploymentArn };
  }

  stopServiceDeployment(input: unknown): Record<string, unknown> {
    const q = parseInput(stopSchema, input);
    if (q.stopType === 'ABORT') throw new EcsError(EcsErrorType.invalidParameter, 'stopType ABORT is not supported for this service deployment; the valid value is ROLLBACK.');
    const { service, sd } = this.require(q.serviceDeploymentArn);
    if (!UNDER_WAY.has(sd.status)) throw new EcsError(EcsErrorType.conflict, `The service deployment is ${sd.status} and can no longer be stopped.`);
    this.engine.stopWithRollback(service, sd, this.deps.now());
    return { serviceDeploymentArn: q.serviceDeploymentArn };
  }

  /**
   * DescribeServiceRevisions: the revision of each deployment of a service (rolling ones too),
   * with its task definition and container images; unknown ARNs come back in `failures` (MISSING).
   */
  describeServiceRevisions(input: unknown): Record<string, unknown> {
    const q = parseInput(describeRevisionsSchema, input);
    const { described, failures } = describeEach(q.serviceRevisionArns, (arn) => this.findRevision(arn), (found) => serviceRevisionToWire(found.service, found.deployment));
    return { serviceRevisions: described, failures };
  }

  private findRevision(arn: string): { service: ServiceRecord; deployment: DeploymentRecord } | undefined {
    const found = this.serviceAndId(REVISION_ARN, arn);
    const deployment = found?.service.deployments.find((d) => d.id.split('/').at(-1) === found.id);
    return found && deployment ? { service: found.service, deployment } : undefined;
  }

  private find(arn: string): { service: ServiceRecord; sd: ServiceDeploymentRecord } | undefined {
    const found = this.serviceAndId(ARN, arn);
    const sd = found?.service.serviceDeployments?.find((d) => d.id === found.id);
    return found && sd ? { service: found.service, sd } : undefined;
  }

  /** The service an ARN of the form `…/<cluster>/<service>/<id>` names, and its id; undefined for another form or an unknown service. */
  private serviceAndId(form: RegExp, arn: string): { service: ServiceRecord; id: string } | undefined {
    const match = form.exec(arn);
    if (!match) return undefined;
    try {
      return { service: this.deps.service(match[1], match[2]!), id: match[3]! };
    } catch (err) {
      if (err instanceof EcsError) return undefined;
      throw err;
    }
  }

  private require(arn: string): { service: ServiceRecord; sd: ServiceDeploymentRecord } {
    const found = this.find(arn);
    if (!found) throw new EcsError(EcsErrorType.serviceDeploymentNotFound, `The service deployment ${arn} does not exist.`);
    return found;
  }
}

/** A Describe* answer: each ARN found, on the wire, and the others as `failures` (MISSING), in order. */
function describeEach<T>(arns: string[], find: (arn: string) => T | undefined, toWire: (found: T) => Record<string, unknown>) {
  const described: Record<string, unknown>[] = [];
  const failures: Record<string, unknown>[] = [];
  for (const arn of arns) {
    const found = find(arn);
    if (found) described.push(toWire(found));
    else failures.push({ arn, reason: 'MISSING' });
  }
  return { described, failures };
}

export function serviceDeploymentArn(service: ServiceRecord, sd: ServiceDeploymentRecord): string {
  return `${serviceArn(service.cluster, service.name).replace(':service/', ':service-deployment/')}/${sd.id}`;
}

/** A service revision per deployment: ECS's revision ids are numbers, as the deployment ids' tails are. */
export function serviceRevisionArn(service: ServiceRecord, d: DeploymentRecord): string {
  return `${serviceArn(service.cluster, service.name).replace(':service/', ':service-revision/')}/${d.id.split('/').at(-1)}`;
}

/** A ServiceRevision as DescribeServiceRevisions answers it: what the sandbox knows of one (no networking, load balancers or digests). */
function serviceRevisionToWire(service: ServiceRecord, d: DeploymentRecord): Record<string, unknown> {
  return {
    serviceRevisionArn: serviceRevisionArn(service, d),
    serviceArn: service.arn,
    clusterArn: clusterArn(service.cluster),
    taskDefinition: d.taskDefinitionArn,
    launchType: 'FARGATE',
    platformVersion: '1.4.0',
    containerImages: d.containers.map((c) => ({ containerName: c.name, image: c.image })),
    createdAt: epochSeconds(d.createdAtMs),
  };
}

function revisionSummary(service: ServiceRecord, d: DeploymentRecord, production: number, test: number | undefined): Record<string, unknown> {
  return {
    arn: serviceRevisionArn(service, d),
    requestedTaskCount: d.desiredCount,
    runningTaskCount: d.runningCount,
    pendingTaskCount: d.status === 'INACTIVE' ? 0 : Math.max(0, d.desiredCount - d.runningCount),
    ...(test === undefined ? {} : { requestedTestTrafficWeight: test }),
    requestedProductionTrafficWeight: production,
  };
}

function briefToWire(service: ServiceRecord, sd: ServiceDeploymentRecord): Record<string, unknown> {
  return {
    serviceDeploymentArn: serviceDeploymentArn(service, sd),
    serviceArn: service.arn,
    clusterArn: clusterArn(service.cluster),
    startedAt: epochSeconds(sd.createdAtMs),
    createdAt: epochSeconds(sd.createdAtMs),
    ...(sd.finishedAtMs === undefined ? {} : { finishedAt: epochSeconds(sd.finishedAtMs) }),
    targetServiceRevisionArn: serviceRevisionArn(service, sd.target),
    status: sd.status,
    ...(sd.statusReason ? { statusReason: sd.statusReason } : {}),
  };
}

export function serviceDeploymentToWire(service: ServiceRecord, sd: ServiceDeploymentRecord): Record<string, unknown> {
  const { production, test } = sd.weights;
  return {
    serviceDeploymentArn: serviceDeploymentArn(service, sd),
    serviceArn: service.arn,
    clusterArn: clusterArn(service.cluster),
    createdAt: epochSeconds(sd.createdAtMs),
    startedAt: epochSeconds(sd.createdAtMs),
    ...(sd.finishedAtMs === undefined ? {} : { finishedAt: epochSeconds(sd.finishedAtMs) }),
    ...(sd.stoppedAtMs === undefined ? {} : { stoppedAt: epochSeconds(sd.stoppedAtMs) }),
    updatedAt: epochSeconds(sd.updatedAtMs),
    sourceServiceRevisions: [revisionSummary(service, sd.source, 100 - production, sd.testListener ? 100 - test : undefined)],
    targetServiceRevision: revisionSummary(service, sd.target, production, sd.testListener ? test : undefined),
    status: sd.status,
    ...(sd.statusReason ? { statusReason: sd.statusReason } : {}),
    lifecycleStage: sd.plan[sd.index]!.stage,
    ...(sd.hooks.length > 0
      ? {
          lifecycleHookDetails: sd.hooks.map((h) => ({
            hookId: h.hookId,
            targetType: h.targetType,
            ...(h.targetArn ? { targetArn: h.targetArn } : {}),
            status: h.status,
            expiresAt: epochSeconds(h.expiresAtMs),
            timeoutAction: h.timeoutAction,
          })),
        }
      : {}),
    deploymentConfiguration: sd.deploymentConfiguration,
    deploymentCircuitBreaker: circuitBreakerToWire(sd),
    ...(sd.rollback ? { rollback: { reason: sd.rollback.reason, startedAt: epochSeconds(sd.rollback.startedAtMs), serviceRevisionArn: serviceRevisionArn(service, sd.source) } } : {}),
  };
}

/** ServiceDeploymentCircuitBreaker: whether the breaker watches the target revision's tasks, how many failed, and its threshold (0.5 × desired, 3 to 200). */
function circuitBreakerToWire(sd: ServiceDeploymentRecord): Record<string, unknown> {
  const { target } = sd;
  const status = !target.circuitBreaker ? 'DISABLED' : sd.circuitBreakerTripped ? 'TRIGGERED' : sd.status === 'IN_PROGRESS' || sd.status === 'PENDING' ? 'MONITORING' : 'MONITORING_COMPLETE';
  return { status, failureCount: target.failedTasks, threshold: circuitBreakerThreshold(target.desiredCount) };
}
