/**
 * The emulated services' own health endpoints, which smoke tests call. The answer follows the
 * image that is actually serving (the old one while a new deployment rolls or after it failed)
 * and the scenario as it is now, so an image can be turned unhealthy while it runs. A slow-start
 * image answers 503 ("starting") until its warm-up has passed since its deployment's tasks
 * started, then 200.
 *
 * `/services/{cluster}/{service}/test-listener/health` is the same endpoint reached through the
 * load balancer's test listener: during a deployment under ECS's own strategies with a test
 * listener rule, the green revision once all test traffic has moved to it (TEST_TRAFFIC_SHIFT
 * onwards), before any production traffic does; otherwise whatever serves production.
 */
import type { EcsEmulator } from './ecs/emulator';
import { slowStartMs } from './ecs/scenario';
import type { SandboxRequest, SandboxResponse } from './http/route';
import type { ScenarioStore } from './scenario';

const HEALTH_PATH = /^\/services\/([^/]+)\/([^/]+)\/(test-listener\/)?health\/?$/;

/** Which listener a health request came through: production's, or the test listener's. */
export type HealthListener = 'production' | 'test';

/** Cluster and service of a health URL (and its listener), or undefined when the path is not one. */
export function matchHealthPath(path: string): { cluster: string; service: string; listener: HealthListener } | undefined {
  const match = HEALTH_PATH.exec(path);
  if (!match) return undefined;
  try {
    return { cluster: decodeURIComponent(match[1]!), service: decodeURIComponent(match[2]!), listener: match[3] ? 'test' : 'production' };
  } catch {
    return undefined;
  }
}

export function handleHealthRequest(
  deps: { ecs: EcsEmulator; scenario: ScenarioStore; now?: () => number },
  req: SandboxRequest,
  target: { cluster: string; service: string; listener?: HealthListener },
): SandboxResponse {
  const test = target.listener === 'test';
  const respond = (status: number, body: Record<string, unknown>): SandboxResponse => ({
    status,
    body,
    call: { system: 'health', operation: `${req.method} ${test ? 'test-listener health' : 'health'} ${target.cluster}/${target.service}`, request: Object.fromEntries(req.query) },
  });
  if (req.method !== 'GET' && req.method !== 'HEAD') return respond(405, { status: 'error', message: `${req.method} not allowed` });

  const serving = test ? deps.ecs.testListenerDeployment(target.cluster, target.service) : deps.ecs.servingDeployment(target.cluster, target.service);
  if (serving.kind === 'unknown-service') return respond(404, { status: 'error', message: `no service ${target.cluster}/${target.service}` });
  if (serving.kind === 'no-running-tasks') return respond(503, { status: 'unavailable', message: 'no running tasks' });

  const images = serving.taskDefinition.containers.map((c) => c.image);
  const behaviour = deps.scenario.taskBehaviour(images);
  const body = {
    image: images[0],
    taskDefinition: serving.taskDefinition.arn,
    deployment: serving.deployment.id,
    runningCount: serving.deployment.runningCount,
  };
  if (behaviour === 'healthy') return respond(200, { status: 'ok', ...body });
  const warmUpMs = slowStartMs(behaviour);
  if (warmUpMs === undefined) return respond(503, { status: 'unhealthy', ...body });
  // The deployment's tasks start when its rollout delay has passed (settle.ts), and warm up from then.
  const readyAtMs = serving.deployment.createdAtMs + serving.deployment.delayMs + warmUpMs;
  const now = (deps.now ?? Date.now)();
  return now >= readyAtMs ? respond(200, { status: 'ok', ...body }) : respond(503, { status: 'starting', readyAt: new Date(readyAtMs).toISOString(), ...body });
}
