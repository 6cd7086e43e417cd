/**
 * For tests of releases under ECS's own strategies (ecs-canary, ecs-linear, ecs-blue-green)
 * against the sandbox: the sample config with the sandbox's address, the sample service switched
 * to a strategy (src/stack/sandbox-strategy.ts) and its plan with short bakes; the real
 * activities with clients pointed at the sandbox (for an in-process worker); and readers of what
 * the sandbox's ECS was asked and what it did (hooks reached, hooks answered, service
 * deployments, traffic weights).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DescribeServiceDeploymentsCommand, DescribeServicesCommand, type ServiceDeployment } from '@aws-sdk/client-ecs';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { createActivities, type ReleaseActivities } from '../../activities';
import { parseEnv } from '../../src/config/env';
import { parseConfig } from '../../src/config/load';
import { releasePlan } from '../../src/config/plan';
import type { RunwayConfig } from '../../src/config/schema';
import type { ProductionStrategyName, ReleaseInput, ReleaseOutcome, ReleasePlan } from '../../src/domain/release';
import { approveUpdate } from '../../src/domain/release-api';
import { type Sandbox, type SandboxCall, startSandbox } from '../../src/sandbox';
import { sandboxClientEnv, sandboxMetricsTargets, sandboxSeed } from '../../src/stack/sandbox-seed';
import { withSandboxStrategy } from '../../src/stack/sandbox-strategy';
import { clientsFromEnv } from '../../workers/release-worker';
import { ecsClient } from './sandbox-clients';
import { randomSha } from './sandbox-stack';
import { startReleaseWorkflow, untilStage, withWorker } from './workflow-runner';
import { releaseOutcome } from '../../src/release-client/outcome';

/** The task definition production runs before any release (the sandbox's seed): what a rollback puts back. */
export const STABLE_TD = /checkout-production:1$/;

export type NativeStrategyName = Exclude<ProductionStrategyName, 'two-service-canary'>;

/**
 * A sandbox seeded from the sample config, keeping every exchange (hooks are read from
 * DescribeServiceDeployments' answers). `deploymentDelayMs` is how long a deployment scales up (and a rollback takes).
 */
export async function startNativeSandbox(options: { deploymentDelayMs?: number } = {}): Promise<{ sandbox: Sandbox; config: RunwayConfig }> {
  const sample = readFileSync(path.join(__dirname, '../../runway.config.yaml'), 'utf8');
  const seedConfig = parseConfig(sample, 'runway.config.yaml');
  const sandbox = await startSandbox({
    port: 0,
    services: sandboxSeed(seedConfig),
    metricsTargets: sandboxMetricsTargets(seedConfig),
    deploymentDelayMs: options.deploymentDelayMs ?? 300,
    recordExchanges: true,
  });
  return { sandbox, config: parseConfig(sample.replaceAll('http://127.0.0.1:4010', sandbox.url), 'runway.config.yaml') };
}

/** A fresh native sandbox for every test of the file (hooks registered here); read `.sandbox` and `.config` inside tests. */
export function useNativeSandbox(options: { deploymentDelayMs?: number } = {}): { readonly sandbox: Sandbox; readonly config: RunwayConfig } {
  const current = {} as { sandbox: Sandbox; config: RunwayConfig };
  beforeEach(async () => {
    Object.assign(current, await startNativeSandbox(options));
  });
  afterEach(async () => current.sandbox?.close());
  return current;
}

/** The plan of a checkout release under `strategy`, with `bakeMs` bakes (analysis every second, as configured) and any overrides. */
export function nativePlan(config: RunwayConfig, sandbox: Sandbox, strategy: NativeStrategyName, overrides: { bakeMs?: number; verifyMs?: number; decisionTimeoutMs?: number } = {}): ReleasePlan {
  const base = releasePlan(withSandboxStrategy(config, 'checkout', strategy, sandbox.url), 'checkout');
  return {
    ...base,
    canary: {
      ...base.canary,
      bakeMs: overrides.bakeMs ?? 1000,
      analysis: { ...base.canary.analysis, ...(overrides.decisionTimeoutMs ? { decisionTimeoutMs: overrides.decisionTimeoutMs } : {}) },
    },
    ...(overrides.verifyMs ? { verify: { durationMs: overrides.verifyMs } } : {}),
  };
}

/** A release of a fresh version of checkout under `plan`, requested by carol (alice and bob approve). */
export function nativeReleaseInput(plan: ReleasePlan): ReleaseInput {
  const version = randomSha();
  return { service: 'checkout', version, image: `${plan.imageRepository}:${version}`, requestedBy: 'carol', reason: 'ecs-native test', plan };
}

/** The real activities with every client pointed at `sandbox` (ECS waits poll every 200 ms). */
export function sandboxActivities(sandbox: Sandbox, temporal: Client): ReleaseActivities {
  const env = parseEnv({ ...sandboxClientEnv(sandbox.url), RUNWAY_DEPLOY_POLL_INTERVAL: '200ms' });
  return createActivities({ ...clientsFromEnv(env), ecs: ecsClient(sandbox), ecsOptions: { pollIntervalMs: 200 }, temporal });
}

/**
 * Runs `input` on an in-process worker with the sandbox's activities: alice approves it when it
 * asks, `during` may act on the running release, and its outcome is returned. The sandbox's
 * scenario for the image is `scenario` (default: a healthy image).
 */
export async function runApprovedRelease(
  client: Client,
  sandbox: Sandbox,
  input: ReleaseInput,
  options: { scenario?: Record<string, unknown>; during?: (handle: WorkflowHandle) => Promise<void> } = {},
): Promise<ReleaseOutcome> {
  sandbox.setScenario(options.scenario ?? { images: { [input.image]: 'healthy' } });
  return withWorker(sandboxActivities(sandbox, client), async (taskQueue) => {
    const handle = await startReleaseWorkflow(client, taskQueue, input);
    await untilStage(handle, 'awaiting-approval');
    await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
    await options.during?.(handle);
    return await releaseOutcome(handle);
  });
}

// ---- What the sandbox's ECS was asked and did ----

export interface ContinueCall {
  seq: number;
  serviceDeploymentArn: string;
  hookId: string;
  action: string;
}

const ok = (c: SandboxCall) => c.status === 200;

export function updateServiceCalls(sandbox: Sandbox, service = 'checkout'): SandboxCall[] {
  return sandbox.calls().ecs.filter((c) => ok(c) && c.operation === 'UpdateService' && (c.request as { cluster?: string; service?: string }).cluster === 'production' && (c.request as { service?: string }).service === service);
}

/** ContinueServiceDeployment calls ECS accepted, in order. */
export function continueCalls(sandbox: Sandbox): ContinueCall[] {
  return sandbox
    .calls()
    .ecs.filter((c) => ok(c) && c.operation === 'ContinueServiceDeployment')
    .map((c) => ({ seq: c.seq, ...(c.request as { serviceDeploymentArn: string; hookId: string; action: string }) }));
}

/** How many accepted ContinueServiceDeployment calls each hook got. */
export function answersPerHook(sandbox: Sandbox): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const c of continueCalls(sandbox)) counts[c.hookId] = (counts[c.hookId] ?? 0) + 1;
  return counts;
}

export interface SeenHook {
  hookId: string;
  lifecycleStage: string;
  /** The first DescribeServiceDeployments answer (call seq) that showed it awaiting action. */
  firstSeenSeq: number;
}

/** Every PAUSE hook that DescribeServiceDeployments ever showed AWAITING_ACTION, in the order first seen. */
export function hooksSeenAwaiting(sandbox: Sandbox): SeenHook[] {
  const seen = new Map<string, SeenHook>();
  for (const c of sandbox.calls().ecs) {
    if (!ok(c) || c.operation !== 'DescribeServiceDeployments') continue;
    const body = c.exchange?.responseBody as { serviceDeployments?: { lifecycleStage?: string; lifecycleHookDetails?: { hookId?: string; status?: string }[] }[] } | undefined;
    for (const sd of body?.serviceDeployments ?? []) {
      for (const h of sd.lifecycleHookDetails ?? []) {
        if (h.status === 'AWAITING_ACTION' && h.hookId && !seen.has(h.hookId)) seen.set(h.hookId, { hookId: h.hookId, lifecycleStage: sd.lifecycleStage ?? 'unknown', firstSeenSeq: c.seq });
      }
    }
  }
  return [...seen.values()];
}

/** Calls of any system, by operation prefix (e.g. 'GET test-listener health'). */
export function callsOf(sandbox: Sandbox, system: 'ecs' | 'health', operationPrefix: string): SandboxCall[] {
  return (sandbox.calls()[system] ?? []).filter((c) => c.operation.startsWith(operationPrefix));
}

/** The one production service deployment ARN the release drove (from the hook answers, else from StopServiceDeployment). */
export function deploymentArnOf(sandbox: Sandbox): string {
  const arns = new Set([
    ...continueCalls(sandbox).map((c) => c.serviceDeploymentArn),
    ...callsOf(sandbox, 'ecs', 'StopServiceDeployment').map((c) => (c.request as { serviceDeploymentArn: string }).serviceDeploymentArn),
  ]);
  if (arns.size !== 1) throw new Error(`expected one service deployment driven, found ${[...arns].join(', ') || 'none'}`);
  return [...arns][0]!;
}

export async function describeDeployment(sandbox: Sandbox, arn: string): Promise<ServiceDeployment> {
  const ecs = ecsClient(sandbox);
  try {
    const out = await ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] }));
    return out.serviceDeployments![0]!;
  } finally {
    ecs.destroy();
  }
}

export async function productionTaskDefinition(sandbox: Sandbox, service = 'checkout'): Promise<string> {
  const ecs = ecsClient(sandbox);
  try {
    const out = await ecs.send(new DescribeServicesCommand({ cluster: 'production', services: [service] }));
    return out.services![0]!.taskDefinition!;
  } finally {
    ecs.destroy();
  }
}

/** The production traffic weights of checkout per task definition, as /_sandbox/state shows them. */
export async function productionWeights(sandbox: Sandbox, service = 'checkout'): Promise<{ taskDefinition: string; production: number; test: number }[]> {
  const state = (await (await fetch(`${sandbox.url}/_sandbox/state`)).json()) as {
    ecs: { clusters: { name: string; services: { serviceName: string; trafficWeights: { taskDefinition: string; production: number; test: number }[] }[] }[] };
  };
  const svc = state.ecs.clusters.find((c) => c.name === 'production')?.services.find((s) => s.serviceName === service);
  if (!svc) throw new Error(`no production service ${service} in the sandbox state`);
  return svc.trafficWeights;
}
