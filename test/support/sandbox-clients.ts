/**
 * The real SDK clients pointed at a sandbox by endpoint configuration only, plus a polling
 * helper: contract tests wait for state, never for wall-clock time.
 */
import { ECSClient } from '@aws-sdk/client-ecs';
import { Octokit } from '@octokit/rest';
import { WebClient } from '@slack/web-api';
import { type Sandbox, type SandboxServiceSeed, startSandbox } from '../../src/sandbox';
import { expectEcsCallsToFollowModel } from './ecs-model';

export const STAGING: SandboxServiceSeed = {
  cluster: 'staging',
  service: 'checkout',
  family: 'checkout-staging',
  container: 'app',
  image: '000000000000.dkr.ecr.us-east-1.amazonaws.com/checkout:initial',
  desiredCount: 2,
};

export const PRODUCTION: SandboxServiceSeed = { ...STAGING, cluster: 'production', family: 'checkout-production', desiredCount: 9 };
export const CANARY: SandboxServiceSeed = { ...PRODUCTION, service: 'checkout-canary', desiredCount: 0 };

/** A sandbox running checkout's production and canary services, with the metrics of both tracks (Prometheus emulator and sample service). */
export function startCheckoutMetricsSandbox(): Promise<Sandbox> {
  return startSandbox({
    port: 0,
    services: [PRODUCTION, CANARY],
    deploymentDelayMs: 100,
    metricsTargets: [
      { service: 'checkout', environment: 'production', track: 'stable', cluster: 'production', ecsService: 'checkout' },
      { service: 'checkout', environment: 'production', track: 'canary', cluster: 'production', ecsService: 'checkout-canary' },
    ],
  });
}

export function ecsClient(sandbox: Sandbox): ECSClient {
  return new ECSClient({
    endpoint: sandbox.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
}

export function slackClient(sandbox: Sandbox, token = 'xoxb-sandbox-token'): WebClient {
  return new WebClient(token, { slackApiUrl: `${sandbox.url}/slack/api/`, retryConfig: { retries: 0 } });
}

export function gitHubClient(sandbox: Sandbox): Octokit {
  const quiet = () => {};
  return new Octokit({
    auth: 'ghp_sandbox-token',
    baseUrl: `${sandbox.url}/github`,
    // Expected 404/422s would otherwise be logged as errors.
    log: { debug: quiet, info: quiet, warn: quiet, error: quiet },
  });
}

/** Calls `read` until `done` holds for its result; fails with the last result after `timeoutMs`. */
export async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`condition not reached; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 25));
    last = await read();
  }
  return last;
}

export async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as unknown };
}

export interface EcsSandbox {
  sandbox: Sandbox;
  ecs: ECSClient;
}

/**
 * A fresh sandbox and ECS client for every test of the file (hooks registered here); read them
 * from the returned object inside tests. After each test every ECS call it made is held to the
 * official ECS API model (test/support/ecs-model.ts): requests and answers alike.
 */
export function useEcsSandbox(services: SandboxServiceSeed[] = [STAGING, PRODUCTION, CANARY]): EcsSandbox {
  const current = {} as EcsSandbox;
  beforeEach(async () => {
    current.sandbox = await startSandbox({ port: 0, services, deploymentDelayMs: 200, recordExchanges: true });
    current.ecs = ecsClient(current.sandbox);
  });
  afterEach(async () => {
    current.ecs.destroy();
    await current.sandbox.close();
    expectEcsCallsToFollowModel(current.sandbox.calls().ecs);
  });
  return current;
}
