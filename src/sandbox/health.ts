/**
 * The emulated services' own health endpoints, which smoke tests call. The answer follows the
 * image that is actually serving (the old one while a new deployment rolls or after it failed)
 * and the scenario as it is now, so an image can be turned unhealthy while it runs. A slow-start
 * image answers 503 ("starting") until its warm-up has passed since its deployment's tasks
 * started, then 200.
 */
import type { EcsEmulator } from './ecs/emulator';
import { slowStartMs } from './ecs/scenario';
import type { SandboxRequest, SandboxResponse } from './http/route';
import type { ScenarioStore } from './scenario';

const HEALTH_PATH = /^\/services\/([^/]+)\/([^/]+)\/health\/?$/;

/** Cluster and service of a health URL, or undefined when the path is not one. */
export function matchHealthPath(path: string): { cluster: string; service: string } | undefined {
  const match = HEALTH_PATH.exec(path);
  if (!match) return undefined;
  try {
    return { cluster: decodeURIComponent(match[1]!), service: decodeURIComponent(match[2]!) };
  } catch {
    return undefined;
  }
}

export function handleHealthRequest(
  deps: { ecs: EcsEmulator; scenario: ScenarioStore; now?: () => number },
  req: SandboxRequest,
  target: { cluster: string; service: string },
): SandboxResponse {
  const respond = (status: number, body: Record<string, unknown>): SandboxResponse => ({
    status,
    body,
    call: { system: 'health', operation: `${req.method} health ${target.cluster}/${target.service}`, request: Object.fromEntries(req.query) },
  });
  if (req.method !== 'GET' && req.method !== 'HEAD') return respond(405, { status: 'error', message: `${req.method} not allowed` });

  const serving = deps.ecs.servingDeployment(target.cluster, target.service);
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
