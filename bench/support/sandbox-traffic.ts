/**
 * Who has a sandbox ECS service's production traffic, and which call took it away, read the way
 * a bench can from outside Runway: the sandbox's state (`Sandbox.state()`, GET /_sandbox/state:
 * `trafficWeights` per service, the weights of ECS's own strategies per task definition) and its
 * recorded ECS calls.
 */

export interface RevisionWeight {
  taskDefinition: string;
  /** Percent of the production listener's traffic. */
  production: number;
  /** Percent of the test listener's traffic. */
  test: number;
}

interface WireState {
  ecs?: {
    clusters?: { name?: string; services?: { serviceName?: string; trafficWeights?: RevisionWeight[] }[] }[];
    taskDefinitions?: { taskDefinitionArn?: string; containerDefinitions?: { image?: string }[] }[];
  };
}

/** The service's traffic per task definition (blue then green while ECS moves traffic), or undefined for an unknown service. */
export function trafficWeights(state: unknown, cluster: string, service: string): RevisionWeight[] | undefined {
  const ecs = (state as WireState).ecs;
  return ecs?.clusters?.find((c) => c.name === cluster)?.services?.find((s) => s.serviceName === service)?.trafficWeights;
}

/** The images of a task definition's containers, as the sandbox's state lists them. */
export function taskDefinitionImages(state: unknown, taskDefinition: string): string[] {
  const td = (state as WireState).ecs?.taskDefinitions?.find((t) => t.taskDefinitionArn === taskDefinition);
  return (td?.containerDefinitions ?? []).flatMap((c) => (c.image ? [c.image] : []));
}

/** Production traffic on `taskDefinition` in percent (0 when it has none, or is not listed). */
export function productionWeightOf(state: unknown, cluster: string, service: string, taskDefinition: string): number {
  return trafficWeights(state, cluster, service)?.find((w) => w.taskDefinition === taskDefinition)?.production ?? 0;
}

interface RecordedCall {
  at: string;
  operation: string;
  status?: number;
  request: unknown;
}

/**
 * The first answered call at or after `sinceMs` that rolled back a service deployment of
 * `cluster`/`service`: StopServiceDeployment (stopType ROLLBACK, ECS's default) or
 * ContinueServiceDeployment with action ROLLBACK. Service deployment ARNs end in
 * `/<cluster>/<service>/<id>`.
 */
export function rollbackCall(calls: RecordedCall[], cluster: string, service: string, sinceMs: number): RecordedCall | undefined {
  const ofService = `/${cluster}/${service}/`;
  return calls.find((c) => {
    if (Date.parse(c.at) < sinceMs || (c.status !== undefined && c.status >= 400)) return false;
    const request = (c.request ?? {}) as { serviceDeploymentArn?: string; stopType?: string; action?: string };
    if (!request.serviceDeploymentArn?.includes(ofService)) return false;
    if (c.operation === 'StopServiceDeployment') return (request.stopType ?? 'ROLLBACK') === 'ROLLBACK';
    return c.operation === 'ContinueServiceDeployment' && request.action === 'ROLLBACK';
  });
}
