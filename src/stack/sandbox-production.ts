/**
 * What an ECS service of the sandbox runs, read from the sandbox's state (`GET /_sandbox/state`,
 * `Sandbox.state()`): its PRIMARY deployment's task definition and image, how many of its tasks
 * run, and whether an older deployment still has tasks. The demo prints it after a rollback;
 * benches and tests wait for a version to serve all traffic again.
 */

export interface ServiceServing {
  /** The PRIMARY deployment's task definition ARN. */
  taskDefinition: string;
  /** `family:revision`, as people read it. */
  revision: string;
  /** The first container's image of that task definition, when the state has it. */
  image?: string;
  desiredCount: number;
  runningCount: number;
  /** Tasks still running in other (older) deployments: 0 once the PRIMARY serves all traffic. */
  othersRunning: number;
}

interface WireDeployment {
  status?: string;
  taskDefinition?: string;
  desiredCount?: number;
  runningCount?: number;
}

interface WireService {
  serviceName?: string;
  deployments?: WireDeployment[];
}

interface WireState {
  ecs?: {
    clusters?: { name?: string; services?: WireService[] }[];
    taskDefinitions?: { taskDefinitionArn?: string; containerDefinitions?: { image?: string }[] }[];
  };
}

/** The service as the sandbox's state shows it, or undefined when it has no such service (or no PRIMARY). */
export function serviceServing(state: unknown, cluster: string, service: string): ServiceServing | undefined {
  const ecs = (state as WireState).ecs;
  const found = ecs?.clusters?.find((c) => c.name === cluster)?.services?.find((s) => s.serviceName === service);
  const deployments = found?.deployments ?? [];
  const primary = deployments.find((d) => d.status === 'PRIMARY');
  if (!primary?.taskDefinition) return undefined;
  const taskDefinition = primary.taskDefinition;
  const image = ecs?.taskDefinitions?.find((td) => td.taskDefinitionArn === taskDefinition)?.containerDefinitions?.[0]?.image;
  return {
    taskDefinition,
    revision: taskDefinition.split('/').pop() ?? taskDefinition,
    ...(image ? { image } : {}),
    desiredCount: primary.desiredCount ?? 0,
    runningCount: primary.runningCount ?? 0,
    othersRunning: deployments.filter((d) => d !== primary).reduce((sum, d) => sum + (d.runningCount ?? 0), 0),
  };
}

/** The PRIMARY runs `taskDefinition` with all its tasks, and no older deployment has any left: it serves all traffic. */
export function servesAllTraffic(serving: ServiceServing | undefined, taskDefinition: string): boolean {
  return (
    serving !== undefined &&
    serving.taskDefinition === taskDefinition &&
    serving.desiredCount > 0 &&
    serving.runningCount === serving.desiredCount &&
    serving.othersRunning === 0
  );
}
