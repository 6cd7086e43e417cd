/**
 * ECS state and operations: clusters, services with their deployments, task definitions.
 * Operations take the parsed JSON input and return the JSON output (AWS field names, epoch
 * seconds); wire.ts puts them on HTTP.
 */
import { z } from 'zod';
import { clusterArn, clusterName, epochSeconds, parseServiceRef, serviceArn } from './arns';
import { addEvent, type DeploymentRecord, deploymentToWire, type IdSource, listedDeployments, newDeployment, primaryOf } from './deployments';
import { EcsError, EcsErrorType, parseInput } from './api-errors';
import { nativeStrategyPlan } from './native-config';
import { type EcsFault, type ImageBehaviour, worstBehaviour } from './scenario';
import { hasCircuitBreaker, rollsBackOnFailure, type ServiceRecord, serviceToWire } from './services';
import { ServiceDeployments } from './service-deployments';
import { scalePrimary, settleService } from './settle';
import { EcsTaskApi } from './task-api';
import { type StoredTaskDefinition, TaskDefinitionRegistry, taskDefinitionToWire } from './task-definitions';
import { pruneStoppedTasks, scaledInStop, stopTasks, taskStatus } from './tasks';
import { imageTag, type ScenarioStore } from '../scenario';

/** One ECS service the sandbox starts with, running one task definition with one container. */
export interface SandboxServiceSeed {
  cluster: string;
  service: string;
  /** Task definition family; services that share a family and image share a revision. */
  family: string;
  container: string;
  image: string;
  desiredCount: number;
}

/** ECS lists at most the 100 most recent events. */
const MAX_EVENTS = 100;

/**
 * Every seeded service runs in the same made-up VPC, as a Fargate service must: a migration's
 * RunTask has to copy this to run an awsvpc task definition.
 */
const SANDBOX_NETWORK_CONFIGURATION = {
  awsvpcConfiguration: { subnets: ['subnet-0sandbox0000000a', 'subnet-0sandbox0000000b'], securityGroups: ['sg-0sandbox00000000a'], assignPublicIp: 'DISABLED' },
};

const DEFAULT_DEPLOYMENT_CONFIGURATION = {
  deploymentCircuitBreaker: { enable: false, rollback: false },
  maximumPercent: 200,
  minimumHealthyPercent: 100,
};

const describeServicesSchema = z.looseObject({
  cluster: z.string().optional(),
  services: z.array(z.string().min(1)).min(1).max(10),
  include: z.array(z.string()).optional(),
});

const describeTaskDefinitionSchema = z.looseObject({
  taskDefinition: z.string().min(1),
  include: z.array(z.string()).optional(),
});

const updateServiceSchema = z.looseObject({
  cluster: z.string().optional(),
  service: z.string().min(1),
  taskDefinition: z.string().min(1).optional(),
  desiredCount: z.number().int().min(0).optional(),
  deploymentConfiguration: z.record(z.string(), z.unknown()).optional(),
  networkConfiguration: z.record(z.string(), z.unknown()).optional(),
  forceNewDeployment: z.boolean().optional(),
  loadBalancers: z.array(z.record(z.string(), z.unknown())).optional(),
});

export type ServingDeployment =
  | { kind: 'unknown-service' }
  | { kind: 'no-running-tasks' }
  | { kind: 'serving'; taskDefinition: StoredTaskDefinition; deployment: DeploymentRecord };

/** One task definition revision of a service and the traffic it gets, in percent (see `revisionTraffic`). */
export interface RevisionTraffic {
  taskDefinition: string;
  /** `family:revision`, as the ECS task metadata endpoint's Family and Revision name it (what a service exports as `task_revision`). */
  revision: string;
  images: string[];
  production: number;
  test: number;
  /** The revision's newest live deployment: when it was created, and how many tasks it runs. */
  deployment: DeploymentRecord;
}

export interface EcsStateSnapshot {
  clusters: { name: string; arn: string; services: Record<string, unknown>[]; standaloneTasks: Record<string, unknown>[] }[];
  taskDefinitions: Record<string, unknown>[];
}

export class EcsEmulator {
  private readonly clusters = new Map<string, Map<string, ServiceRecord>>();
  private readonly taskDefinitions = new TaskDefinitionRegistry();
  private readonly counters = { deployment: 0, event: 0, task: 0 };
  private readonly ids: IdSource = {
    next: (kind) => {
      const n = ++this.counters[kind];
      if (kind === 'deployment') return `ecs-svc/${String(1000000000000000000n + BigInt(n))}`;
      if (kind === 'task') return n.toString(16).padStart(32, '0');
      return `sandbox-event-${n}`;
    },
  };

  private readonly tasks: EcsTaskApi;
  /** ECS's own strategies' service deployments (List/Describe/Continue/StopServiceDeployment). */
  readonly serviceDeployments: ServiceDeployments;

  constructor(private readonly deps: { scenario: ScenarioStore; now: () => number }) {
    this.tasks = new EcsTaskApi({
      now: deps.now,
      ids: this.ids,
      scenario: deps.scenario,
      taskDefinitions: this.taskDefinitions,
      cluster: (ref) => {
        const cluster = this.cluster(ref);
        for (const service of cluster.services.values()) this.settled(service);
        return cluster;
      },
    });
    this.serviceDeployments = new ServiceDeployments({
      now: deps.now,
      ids: this.ids,
      scenario: deps.scenario,
      service: (clusterRef, name) => {
        const ref = parseServiceRef(name);
        const service = this.cluster(clusterRef ?? ref.cluster).services.get(ref.service);
        if (!service) throw new EcsError(EcsErrorType.serviceNotFound, 'Service not found.');
        return this.settled(service);
      },
    });
  }

  /** Registers (or reuses) a revision for each seed and starts a completed deployment on it. */
  seed(seeds: SandboxServiceSeed[]): void {
    const now = this.deps.now();
    for (const seed of seeds) {
      const services = this.clusters.get(seed.cluster) ?? new Map<string, ServiceRecord>();
      this.clusters.set(seed.cluster, services);
      if (services.has(seed.service)) throw new Error(`sandbox seed lists ${seed.cluster}/${seed.service} twice`);
      const td = this.seedTaskDefinition(seed, now);
      const deployment = newDeployment(this.ids, {
        taskDefinitionArn: td.arn,
        containers: td.containers,
        desiredCount: seed.desiredCount,
        behaviour: 'healthy',
        delayMs: 0,
        nowMs: now,
        rollbackOnFailure: false,
      });
      const service: ServiceRecord = {
        cluster: seed.cluster,
        name: seed.service,
        arn: serviceArn(seed.cluster, seed.service),
        status: 'ACTIVE',
        createdAtMs: now,
        deploymentConfiguration: { ...DEFAULT_DEPLOYMENT_CONFIGURATION },
        networkConfiguration: structuredClone(SANDBOX_NETWORK_CONFIGURATION),
        deployments: [deployment],
        events: [],
        tasks: [],
      };
      settleService(service, now, this.ids);
      services.set(seed.service, service);
    }
  }

  private seedTaskDefinition(seed: SandboxServiceSeed, now: number): StoredTaskDefinition {
    const latest = this.taskDefinitions.find(seed.family);
    const same = latest?.containers.length === 1 && latest.containers[0]?.name === seed.container && latest.containers[0]?.image === seed.image;
    if (latest && same) return latest;
    return this.taskDefinitions.register(
      {
        family: seed.family,
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '256',
        memory: '512',
        containerDefinitions: [
          { name: seed.container, image: seed.image, essential: true, portMappings: [{ containerPort: 8080, protocol: 'tcp' }], environment: [] },
        ],
        tags: [{ key: 'managed-by', value: 'runway-sandbox' }],
      },
      now,
    );
  }

  describeServices(input: unknown): Record<string, unknown> {
    const q = parseInput(describeServicesSchema, input);
    const cluster = this.cluster(q.cluster);
    const services: Record<string, unknown>[] = [];
    const failures: Record<string, unknown>[] = [];
    for (const ref of q.services) {
      const { service: name } = parseServiceRef(ref);
      const service = cluster.services.get(name);
      if (service) services.push(serviceToWire(this.settled(service)));
      else failures.push({ arn: ref.startsWith('arn:') ? ref : serviceArn(cluster.name, name), reason: 'MISSING' });
    }
    return { services, failures };
  }

  describeTaskDefinition(input: unknown): Record<string, unknown> {
    const q = parseInput(describeTaskDefinitionSchema, input, EcsErrorType.client);
    const td = this.taskDefinitions.resolve(q.taskDefinition);
    return { taskDefinition: taskDefinitionToWire(td), ...(q.include?.includes('TAGS') ? { tags: td.tags } : {}) };
  }

  registerTaskDefinition(input: unknown): Record<string, unknown> {
    const td = this.taskDefinitions.register(input, this.deps.now());
    return { taskDefinition: taskDefinitionToWire(td), tags: td.tags };
  }

  listTaskDefinitions(input: unknown): Record<string, unknown> {
    return this.taskDefinitions.list(input);
  }

  listTasks(input: unknown): Record<string, unknown> {
    return this.tasks.listTasks(input);
  }

  describeTasks(input: unknown): Record<string, unknown> {
    return this.tasks.describeTasks(input);
  }

  runTask(input: unknown): Record<string, unknown> {
    return this.tasks.runTask(input);
  }

  /** The injected fault (if any) the next call of `operation` gets; consumed by asking. */
  takeFault(operation: string): EcsFault | undefined {
    return this.deps.scenario.takeEcsFault(operation);
  }

  /** How long to hold the answer to a call of `operation` that just took effect; consumed by asking. */
  takeResponseHold(operation: string): number {
    return this.deps.scenario.takeEcsResponseHold(operation);
  }

  get latencyMs(): number {
    return this.deps.scenario.ecsLatencyMs;
  }

  /**
   * A new task definition (or forceNewDeployment) starts a new PRIMARY deployment and demotes
   * the previous one to ACTIVE; only a new desiredCount rescales the PRIMARY in place.
   */
  updateService(input: unknown): Record<string, unknown> {
    const q = parseInput(updateServiceSchema, input);
    const ref = parseServiceRef(q.service);
    const cluster = this.cluster(q.cluster ?? ref.cluster);
    const service = cluster.services.get(ref.service);
    if (!service) throw new EcsError(EcsErrorType.serviceNotFound, 'Service not found.');
    if (service.status !== 'ACTIVE') throw new EcsError(EcsErrorType.serviceNotActive, 'Service was not ACTIVE.');
    const now = this.deps.now();
    this.settled(service);
    const primary = primaryOf(service);
    if (!primary) throw new EcsError(EcsErrorType.client, 'Service has no primary deployment.');

    let td: StoredTaskDefinition | undefined;
    if (q.taskDefinition !== undefined) {
      td = this.taskDefinitions.find(q.taskDefinition);
      if (!td) throw new EcsError(EcsErrorType.invalidParameter, 'TaskDefinition not found.');
      if (td.status !== 'ACTIVE') throw new EcsError(EcsErrorType.invalidParameter, 'TaskDefinition is inactive.');
    }
    // Checked before anything changes, so a refused strategy leaves the service as it was.
    const merged = mergeDeploymentConfiguration(service.deploymentConfiguration, q.deploymentConfiguration);
    const nativePlan = nativeStrategyPlan(merged, q.loadBalancers ?? service.loadBalancers ?? []);
    if (q.deploymentConfiguration) service.deploymentConfiguration = merged;
    if (q.loadBalancers) service.loadBalancers = q.loadBalancers;
    if (q.networkConfiguration) service.networkConfiguration = q.networkConfiguration;

    const desiredCount = q.desiredCount ?? primary.desiredCount;
    const delayMs = this.deps.scenario.deploymentDelayMs;
    const newTaskDefinition = td !== undefined && td.arn !== primary.taskDefinitionArn;
    if (newTaskDefinition || q.forceNewDeployment) {
      const target = td ?? this.taskDefinitions.resolve(primary.taskDefinitionArn);
      primary.status = 'ACTIVE';
      primary.updatedAtMs = now;
      const behaviour = this.lifecycleIn(cluster.name, target.containers.map((c) => c.image));
      const rollbackOnFailure = rollsBackOnFailure(service);
      const circuitBreaker = hasCircuitBreaker(service);
      const deployment = newDeployment(this.ids, { taskDefinitionArn: target.arn, containers: target.containers, desiredCount, behaviour, delayMs, nowMs: now, circuitBreaker, rollbackOnFailure });
      service.deployments.unshift(deployment);
      if (nativePlan) this.serviceDeployments.start(service, deployment, nativePlan, now);
    } else if (desiredCount !== primary.desiredCount) {
      scalePrimary(service, primary, desiredCount, now, delayMs, this.ids);
    }
    return { service: serviceToWire(this.settled(service)) };
  }

  /** What a new deployment's tasks in `cluster` do: the scenario's `ecs.clusterImages` for the cluster first (exact URI, then tag), then `images`; the worst container decides. */
  private lifecycleIn(cluster: string, images: string[]): ImageBehaviour {
    const scoped = this.deps.scenario.get().ecs?.clusterImages?.[cluster];
    if (!scoped) return this.deps.scenario.taskLifecycle(images);
    return worstBehaviour(images.map((image) => scoped[image] ?? scoped[imageTag(image) ?? ''] ?? this.deps.scenario.imageBehaviour(image)));
  }

  /**
   * The deployment whose tasks answer traffic: the PRIMARY once it runs, else the newest older one still running;
   * under ECS's own strategies, the one with most of the production traffic.
   */
  servingDeployment(cluster: string, name: string): ServingDeployment {
    const service = this.clusters.get(cluster)?.get(name);
    if (!service) return { kind: 'unknown-service' };
    const listed = listedDeployments(this.settled(service));
    // While ECS's own strategy splits traffic, the revision with most of the production traffic (green from 50 %).
    const split = this.serviceDeployments.trafficWeights(service);
    const heaviest = split.length === 2 ? (split[1]!.production >= split[0]!.production ? split[1]! : split[0]!) : undefined;
    const running = (heaviest && listed.find((d) => d.taskDefinitionArn === heaviest.taskDefinition && d.runningCount > 0)) ?? listed.find((d) => d.runningCount > 0);
    if (!running) return { kind: 'no-running-tasks' };
    return { kind: 'serving', taskDefinition: this.taskDefinitions.resolve(running.taskDefinitionArn), deployment: running };
  }

  /**
   * Traffic per task definition revision of a service, for numbers by revision: while ECS's own
   * strategy splits traffic, blue and green with their weights; otherwise the serving deployment's
   * revision with all of it (none when nothing runs). Undefined for an unknown service.
   */
  revisionTraffic(cluster: string, name: string): RevisionTraffic[] | undefined {
    const service = this.clusters.get(cluster)?.get(name);
    if (!service) return undefined;
    const listed = listedDeployments(this.settled(service));
    const split = this.serviceDeployments.trafficWeights(service);
    const weights = split.length === 2 ? split : this.servingWeights(cluster, name);
    return weights.flatMap((w) => {
      const deployment = listed.find((d) => d.taskDefinitionArn === w.taskDefinition);
      if (!deployment) return [];
      const td = this.taskDefinitions.resolve(w.taskDefinition);
      return [{ ...w, revision: `${td.family}:${td.revision}`, images: td.containers.map((c) => c.image), deployment }];
    });
  }

  private servingWeights(cluster: string, name: string): { taskDefinition: string; production: number; test: number }[] {
    const serving = this.servingDeployment(cluster, name);
    return serving.kind === 'serving' ? [{ taskDefinition: serving.taskDefinition.arn, production: 100, test: 0 }] : [];
  }

  /**
   * The deployment a service's test listener reaches: green once ECS's own strategy has moved all
   * test traffic to it (TEST_TRAFFIC_SHIFT onwards, with a test listener rule), else the one serving production.
   */
  testListenerDeployment(cluster: string, name: string): ServingDeployment {
    const service = this.clusters.get(cluster)?.get(name);
    if (!service) return { kind: 'unknown-service' };
    const listed = listedDeployments(this.settled(service));
    const split = this.serviceDeployments.trafficWeights(service);
    const green = split.length === 2 && split[1]!.test === 100 ? split[1]! : undefined;
    if (!green) return this.servingDeployment(cluster, name);
    const deployment = listed.find((d) => d.taskDefinitionArn === green.taskDefinition && d.runningCount > 0);
    if (!deployment) return { kind: 'no-running-tasks' };
    return { kind: 'serving', taskDefinition: this.taskDefinitions.resolve(deployment.taskDefinitionArn), deployment };
  }

  snapshot(): EcsStateSnapshot {
    const now = this.deps.now();
    return {
      clusters: [...this.clusters.entries()].map(([name, services]) => ({
        name,
        arn: clusterArn(name),
        services: [...services.values()].map((s) => ({
          ...serviceToWire(this.settled(s)),
          allDeployments: s.deployments.map((d) => ({ ...deploymentToWire(d), behaviour: d.behaviour, settlesAt: epochSeconds(d.settlesAtMs) })),
          trafficWeights: this.serviceDeployments.trafficWeights(s),
          tasks: s.tasks.map((t) => ({ taskArn: t.arn, taskDefinitionArn: t.taskDefinitionArn, lastStatus: taskStatus(t, now), stopCode: t.stop?.code })),
        })),
        standaloneTasks: this.tasks.snapshot(name),
      })),
      taskDefinitions: this.taskDefinitions.all().map((td) => ({ ...taskDefinitionToWire(td), tags: td.tags })),
    };
  }

  /**
   * The scenario's `ecs.drainServices`, applied the way DeleteService works: the service goes
   * DRAINING for good, every deployment scales to 0 and its tasks stop. Checked on every read, so
   * the switch takes effect at the next call after it was set.
   */
  private drainIfScripted(service: ServiceRecord): void {
    if (service.status !== 'ACTIVE') return;
    if (!this.deps.scenario.get().ecs?.drainServices?.includes(`${service.cluster}/${service.name}`)) return;
    const now = this.deps.now();
    settleService(service, now, this.ids);
    service.status = 'DRAINING';
    let stopped = 0;
    for (const d of listedDeployments(service)) {
      stopped += stopTasks(service, d.id, now, scaledInStop(d.id)).length;
      d.desiredCount = 0;
      d.runningCount = 0;
      d.updatedAtMs = now;
    }
    if (stopped > 0) addEvent(service, this.ids, now, `(service ${service.name}) has stopped ${stopped} running tasks.`);
  }

  private cluster(ref: string | undefined): { name: string; services: Map<string, ServiceRecord> } {
    const name = clusterName(ref);
    const services = this.clusters.get(name);
    if (!services) throw new EcsError(EcsErrorType.clusterNotFound, 'Cluster not found.');
    return { name, services };
  }

  private settled(service: ServiceRecord): ServiceRecord {
    this.drainIfScripted(service);
    this.serviceDeployments.advance(service, this.deps.now());
    settleService(service, this.deps.now(), this.ids);
    // A circuit breaker that settling just tripped on a native deployment's green tasks is the service deployment's to act on, at the time it tripped.
    this.serviceDeployments.advance(service, this.deps.now());
    pruneStoppedTasks(service.tasks, this.deps.now());
    if (service.events.length > MAX_EVENTS) service.events.splice(0, service.events.length - MAX_EVENTS);
    return service;
  }
}

/**
 * The service's deploymentConfiguration after an UpdateService: the request's members replace the
 * stored ones. A request that names another strategy leaves the stored strategy's own
 * configuration behind (a CANARY service's canaryConfiguration does not follow it to LINEAR):
 * the sandbox's reading of ECS, whose documentation does not say how a strategy change is merged.
 */
function mergeDeploymentConfiguration(stored: Record<string, unknown>, requested: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!requested) return stored;
  const merged = { ...stored, ...requested };
  if (requested.strategy !== undefined && requested.strategy !== stored.strategy) {
    if (requested.canaryConfiguration === undefined) delete merged.canaryConfiguration;
    if (requested.linearConfiguration === undefined) delete merged.linearConfiguration;
  }
  return merged;
}
