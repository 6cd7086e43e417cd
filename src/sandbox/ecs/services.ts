/**
 * ECS services as records and as DescribeServices shows them. Kept apart from the emulator so
 * the operations file stays about operations.
 */
import { clusterArn, epochSeconds } from './arns';
import { type DeploymentRecord, deploymentToWire, listedDeployments, pendingCount, primaryOf, type ServiceEvent } from './deployments';
import type { ServiceDeploymentRecord } from './native-deployment';
import type { TaskRecord } from './tasks';

export interface ServiceRecord {
  cluster: string;
  name: string;
  arn: string;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  createdAtMs: number;
  deploymentConfiguration: Record<string, unknown>;
  /** Where its tasks are placed (subnets, security groups); what a migration's RunTask copies. */
  networkConfiguration?: Record<string, unknown>;
  /** Newest first, INACTIVE ones kept for /_sandbox/state. */
  deployments: DeploymentRecord[];
  events: ServiceEvent[];
  /** Running and recently stopped tasks of every deployment. */
  tasks: TaskRecord[];
  /** As UpdateService last set them (with advancedConfiguration for ECS's own strategies). */
  loadBalancers?: Record<string, unknown>[];
  /** Deployments under ECS's own strategies (BLUE_GREEN, LINEAR, CANARY), newest first. */
  serviceDeployments?: ServiceDeploymentRecord[];
}

function breakerOf(service: ServiceRecord): { enable?: unknown; rollback?: unknown } | undefined {
  return service.deploymentConfiguration.deploymentCircuitBreaker as { enable?: unknown; rollback?: unknown } | undefined;
}

/** True when the deployment circuit breaker is on: tasks that keep failing to start fail the rollout. */
export function hasCircuitBreaker(service: ServiceRecord): boolean {
  return breakerOf(service)?.enable === true;
}

/** True when UpdateService turned on the circuit breaker with rollback: a failed deployment then rolls back. */
export function rollsBackOnFailure(service: ServiceRecord): boolean {
  const breaker = breakerOf(service);
  return breaker?.enable === true && breaker.rollback === true;
}

export function serviceToWire(service: ServiceRecord): Record<string, unknown> {
  const listed = listedDeployments(service);
  const primary = primaryOf(service);
  return {
    serviceArn: service.arn,
    serviceName: service.name,
    clusterArn: clusterArn(service.cluster),
    loadBalancers: service.loadBalancers ?? [],
    serviceRegistries: [],
    status: service.status,
    desiredCount: primary?.desiredCount ?? 0,
    runningCount: listed.reduce((sum, d) => sum + d.runningCount, 0),
    pendingCount: listed.reduce((sum, d) => sum + pendingCount(d), 0),
    launchType: 'FARGATE',
    platformVersion: 'LATEST',
    taskDefinition: primary?.taskDefinitionArn,
    deploymentConfiguration: service.deploymentConfiguration,
    ...(service.networkConfiguration ? { networkConfiguration: service.networkConfiguration } : {}),
    deployments: listed.map(deploymentToWire),
    // Newest first, as ECS lists them; stored oldest first because settling appends.
    events: [...service.events].reverse().map((e) => ({ id: e.id, createdAt: epochSeconds(e.createdAtMs), message: e.message })),
    createdAt: epochSeconds(service.createdAtMs),
    placementConstraints: [],
    placementStrategy: [],
    schedulingStrategy: 'REPLICA',
    deploymentController: { type: 'ECS' },
    enableECSManagedTags: false,
    propagateTags: 'NONE',
    enableExecuteCommand: false,
  };
}
